import Foundation
import Hummingbird
import Runtime
import ServiceLifecycle

/// The overview: jobs by state, the outbox, and live charts (throughput per kind, completions
/// and messages per second, spend per minute, queue depth, error rate) drawn as inline SVG from
/// the last points of `DashboardActivity`, then moved by `/dashboard/events` (Server-Sent
/// Events, one point a second) in the page's script.
extension Dashboard {
    func overview(_ session: DashboardSessions.Session) async throws -> Response {
        let points = metrics.activity.points
        let last = points.last
        let depth = try await queries.depth()
        let outbox = try await queries.outboxDepth()
        let counters: [[String: Any]] = [
            ["name": "Queued", "key": "queued", "value": String(depth["queued"] ?? 0)],
            ["name": "Scheduled", "key": "scheduled", "value": String(depth["scheduled"] ?? 0)],
            ["name": "Running", "key": "running", "value": String(depth["running"] ?? 0)],
            ["name": "Outbox", "key": "outbox", "value": String(outbox)],
            ["name": "Failed", "key": "failed", "value": String(depth["failed"] ?? 0)],
            ["name": "Dead", "key": "dead", "value": String(depth["dead"] ?? 0)],
        ]
        let charts = DashboardChart.charts(points).map(\.values)
        return render("overview", title: "Overview", section: "Overview", session: session, [
            "counters": counters, "charts": charts, "sampledAt": DashboardFormat.time(last?.at),
        ])
    }

    /// `text/event-stream`: a `point` event each second with the newest point as JSON, until the
    /// client goes away or the session ends.
    func events(_ session: DashboardSessions.Session) -> Response {
        let updates = metrics.activity.updates()
        let recent = metrics.activity.points.suffix(120)
        let sessions = self.sessions
        let body = ResponseBody { writer in
            // The recent points first, so the script's charts start where the server's drawing did.
            var opening = "retry: 2000\n\n"
            for point in recent { opening += "event: point\ndata: \(DashboardChart.json(point))\n\n" }
            try await writer.write(ByteBuffer(string: opening))
            // A graceful shutdown ends the stream, so open dashboards never hold the server's drain.
            for await point in updates.cancelOnGracefulShutdown() {
                guard sessions.session(session.id) != nil else { break }
                try await writer.write(ByteBuffer(string: "event: point\ndata: \(DashboardChart.json(point))\n\n"))
            }
            try await writer.finish(nil)
        }
        var headers = DashboardResponse.securityHeaders
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: body)
    }
}
