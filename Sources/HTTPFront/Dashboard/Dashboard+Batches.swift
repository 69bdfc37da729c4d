import Foundation
import Hummingbird
import Jobs
import Runtime

/// Batches of every tenant, newest first: status, a progress bar of items finished, and the
/// cost so far (a running batch's figures are live, read as `GET /inference/batches/{id}` reads them).
extension Dashboard {
    func batchesPage(_ request: Request, _ session: DashboardSessions.Session) async throws -> Response {
        let tenant = Self.filter(request, "tenant")
        let limit = Self.limit(request)
        let rows = try await queries.batches(tenant: tenant, before: Self.before(request), limit: limit + 1)
        var batches: [[String: Any]] = []
        for row in rows.prefix(limit) {
            guard let batch = try await self.batches.batch(row.id, tenant: row.tenant) else { continue }
            let counts = batch.counts
            let percent = counts.total > 0 ? counts.finished * 100 / counts.total : 0
            batches.append([
                "id": batch.id, "tenant": batch.tenant, "status": batch.status.rawValue, "total": counts.total,
                "completed": counts.completed, "failed": counts.failed, "cancelled": counts.cancelled, "finished": counts.finished,
                "percent": percent, "cost": DashboardFormat.usd(batch.costMicroUSD), "hold": DashboardFormat.usd(batch.holdMicroUSD),
                "created": DashboardFormat.time(batch.createdAt), "ended": DashboardFormat.time(batch.finishedAt),
            ])
        }
        var values: [String: Any] = ["batches": batches, "empty": batches.isEmpty, "tenant": tenant ?? ""]
        if rows.count > limit, let last = rows.prefix(limit).last {
            values["next"] = Self.base + "/batches?before=\(last.sequence)" + (tenant.map { "&tenant=" + Self.queryEscaped($0) } ?? "")
        }
        return render("batches", title: "Batches", section: "Batches", session: session, values)
    }

    static func queryEscaped(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#?")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
