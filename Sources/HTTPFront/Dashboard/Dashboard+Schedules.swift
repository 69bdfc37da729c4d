import Foundation
import Hummingbird
import Runtime

/// Schedules: expression, zone, kind, tenant, last and next fire, and "run now" (one job
/// enqueued at once, as `POST /cpaas/v1/jobs/schedules/{name}/run` does).
extension Dashboard {
    func addScheduleRoutes(_ group: RouterGroup<AppRequestContext>) {
        group.get("/schedules") { request, _ in
            try await page(request) { session in
                let now = runtime.clock.now()
                let schedules: [[String: Any]] = try await runtime.scheduler.schedules().map { schedule in
                    ["name": schedule.name, "cron": schedule.expression, "timezone": schedule.timeZone, "kind": schedule.kind,
                     "tenant": schedule.tenant, "enabled": schedule.enabled, "last": DashboardFormat.time(schedule.lastFireAt),
                     "next": DashboardFormat.time(schedule.nextFireAt), "nextIn": DashboardFormat.relative(schedule.nextFireAt, now: now),
                     "runPath": Self.base + "/schedules/" + Self.queryEscaped(schedule.name) + "/run"]
                }
                var values: [String: Any] = ["schedules": schedules, "empty": schedules.isEmpty]
                if let ran = Self.filter(request, "ran") { values["ran"] = ran }
                return render("schedules", title: "Schedules", section: "Schedules", session: session, values)
            }
        }
        group.post("/schedules/{name}/run") { request, context in
            try await action(request) { _, _ in
                let name = context.parameters.get("name") ?? ""
                guard let enqueued = try await runtime.scheduler.runNow(named: name) else {
                    return DashboardResponse.plain(.notFound, "no schedule with this name")
                }
                return DashboardResponse.redirect(Self.base + "/schedules?ran=" + enqueued.job.id.description)
            }
        }
    }
}
