import Foundation
import Hummingbird
import Runtime

/// The cron schedules of the runtime's scheduler, for operators (internal key):
/// `GET /jobs/schedules`, `PUT /jobs/schedules/{name}` (create or replace),
/// `DELETE /jobs/schedules/{name}`, `POST /jobs/schedules/{name}/run` (enqueue one run now).
struct SchedulesController: Sendable {
    let runtime: JobRuntime
    let body: JSONBody

    func addRoutes(to group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        let base = HTTPFront.cpaasPrefix + "/jobs/schedules"
        table.get(base, on: group) { _, context in
            let schedules = try await runtime.scheduler.schedules()
            return try EnvelopeResponse.success(schedules.map(ScheduleView.init), context: context)
        }

        table.put(base + "/{name}", on: group) { request, context in
            let name = context.parameters.get("name") ?? ""
            let input = try await body.decode(ScheduleRequest.self, from: request)
            let schedule = try input.schedule(named: name)
            let existed = try await runtime.scheduler.schedule(named: name) != nil
            let saved: Schedule
            do { saved = try await runtime.scheduler.save(schedule) } catch let error as ScheduleError {
                throw APIError.invalid(Self.field(of: error), error.message)
            }
            return try EnvelopeResponse.success(ScheduleView(saved), status: existed ? .ok : .created, context: context)
        }

        table.delete(base + "/{name}", on: group) { _, context in
            let name = context.parameters.get("name") ?? ""
            guard try await runtime.scheduler.remove(named: name) else { throw APIError.notFound("no schedule named '\(name.prefix(100))'") }
            return try EnvelopeResponse.success(["deleted": name], context: context)
        }

        table.post(base + "/{name}/run", on: group) { _, context in
            let name = context.parameters.get("name") ?? ""
            guard let enqueued = try await runtime.scheduler.runNow(named: name) else {
                throw APIError.notFound("no schedule named '\(name.prefix(100))'")
            }
            return try EnvelopeResponse.success(JobView(enqueued.job), status: .accepted, context: context)
        }
    }

    /// The body field a schedule error is about, from its message.
    private static func field(of error: ScheduleError) -> String {
        let message = error.message
        if message.hasPrefix("name") { return "name" }
        if message.hasPrefix("time zone") { return "timezone" }
        if message.hasPrefix("kind") { return "kind" }
        if message.hasPrefix("catch-up") { return "catchUp" }
        if message.hasPrefix("tenant") { return "tenant" }
        if message.hasPrefix("payload") { return String(message.prefix { $0 != " " }) }
        return "cron"
    }

    struct ScheduleRequest: ClosedJSONBody {
        var cron: String
        var timezone: String?
        var kind: String
        var payload: JSONValue?
        var enabled: Bool?
        var catchUp: String?
        var tenant: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case cron, timezone, kind, payload, enabled, catchUp, tenant }
        static let schema = BodySchema(CodingKeys.self, nullable: ["timezone", "payload", "catchUp", "tenant"])

        func schedule(named name: String) throws -> Schedule {
            guard cron.utf8.count <= 200 else { throw APIError.invalid("cron", "cron must be at most 200 bytes") }
            let catchUpPolicy: CatchUpPolicy
            do { catchUpPolicy = try CatchUpPolicy(parsing: catchUp ?? "coalesce") } catch {
                throw APIError.invalid("catchUp", error.message)
            }
            if let tenant, tenant.isEmpty || tenant.utf8.count > 200 {
                throw APIError.invalid("tenant", "tenant must be 1 to 200 bytes")
            }
            let payloadData = try (payload ?? .object([:])).encoded()
            guard payloadData.count <= 64 * 1024 else { throw APIError.invalid("payload", "payload must be at most 64 KiB of JSON") }
            let schedule = Schedule(name: name, expression: cron, timeZone: timezone ?? "UTC", kind: kind,
                                    tenant: tenant ?? Scheduler.systemTenant, payload: payloadData, enabled: enabled ?? true, catchUp: catchUpPolicy)
            do { _ = try schedule.validated() } catch {
                throw APIError.invalid(SchedulesController.field(of: error), error.message)
            }
            return schedule
        }
    }
}
