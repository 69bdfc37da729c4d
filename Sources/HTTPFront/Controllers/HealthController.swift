import Foundation
import Hummingbird
import Runtime

/// `GET /llm-orch/v1/health` and `GET /cpaas/v1/_internal/healthz`: open, for load balancers and probes.
struct HealthController: Sendable {
    let runtime: JobRuntime

    func addRoutes(to group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        table.get(HTTPFront.llmPrefix + "/health", on: group) { _, context in try await health(context) }
        table.get(HTTPFront.cpaasPrefix + "/_internal/healthz", on: group) { _, context in try await health(context) }
    }

    /// Liveness and readiness. 200 `ok` while the workers run; 200 `degraded` with a `code` and
    /// `reason` while the store refuses writes (`storage_full`, `storage_read_only`,
    /// `storage_io_error`): reads still work, nothing new can be accepted; 503 `storage_corrupt`
    /// once a damaged page of the database file was seen (until a restart on a repaired file);
    /// 503 `unavailable` while starting or draining.
    private func health(_ context: AppRequestContext) async throws -> Response {
        let phase = runtime.currentPhase
        let problem = runtime.backend.health.problem
        if let problem, problem.isCorrupt {
            throw APIError(.serviceUnavailable, problem.code, problem.message, details: ["file": runtime.backend.health.path])
        }
        guard phase == .running else {
            throw APIError(.serviceUnavailable, "unavailable", "the runtime is \(phase.rawValue)", headers: [(.retryAfter, "1")])
        }
        guard let problem else {
            return try EnvelopeResponse.success(Health(status: "ok", workers: phase.rawValue), context: context)
        }
        return try EnvelopeResponse.success(Health(status: "degraded", workers: phase.rawValue, code: problem.code, reason: problem.message,
                                                   since: problem.since), context: context)
    }

    /// The health body: `status` is `ok` or `degraded`; `code`, `reason` and `since` say why it is degraded.
    struct Health: Encodable {
        var status: String
        var workers: String
        var code: String?
        var reason: String?
        var since: Date?
    }
}
