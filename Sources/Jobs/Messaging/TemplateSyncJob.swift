public import Runtime

/// `templates.sync`: syncs every provider's templates (every 15 minutes by default, and on
/// `POST /cpaas/v1/_internal/sync-templates`). A provider that fails mid-listing keeps what
/// was synced; the job fails (and is retried) so the failure is visible in `/jobs` and metrics.
public struct TemplateSyncJob: JobHandler {
    public struct Payload: Codable, Sendable {}
    public struct Output: Codable, Sendable {
        public var created: Int
        public var updated: Int
        public var removed: Int
    }

    public static let kind = "templates.sync"
    public static let schedule = Schedule(name: kind, expression: "*/15 * * * *", kind: kind, tenant: "system")
    public var options: JobKindOptions { JobKindOptions(retry: .exponentialJitter(maxAttempts: 3), timeout: .seconds(600), maxConcurrency: 1, runsWithoutTenant: true) }

    let sync: TemplateSync

    init(sync: TemplateSync) {
        self.sync = sync
    }

    public func run(_ payload: Payload, context: JobContext) async throws -> Output {
        let report = try await sync.sync()
        if !report.failures.isEmpty {
            let failures = report.failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            throw JobFailure.permanent("synced \(report.created) new, \(report.updated) changed, \(report.removed) removed; failed: \(failures)")
        }
        return Output(created: report.created, updated: report.updated, removed: report.removed)
    }
}
