import Foundation
import Hummingbird
import Jobs
import Runtime

/// Providers: the LLM providers the routes use (breaker state, route targets, p50/p99 call
/// latency from `/metrics`' histogram since the process started) and the messaging providers
/// (health as `GET /cpaas/v1/providers` shows it, their configured limit and whether their
/// limiter is paused by a provider's 429).
extension Dashboard {
    func providersPage(_ session: DashboardSessions.Session) -> Response {
        let latency = ProviderLatency(registryText: metrics.registryText())
        var targets: [String: [String]] = [:]
        for (useCase, routes) in llm.configuration.routing.routes {
            for target in routes { targets[target.provider, default: []].append("\(useCase) → \(target.model)") }
        }
        let llmProviders: [[String: Any]] = targets.keys.sorted().map { id in
            let state = llm.router.breakerState(id)?.rawValue ?? "unknown"
            var values: [String: Any] = ["id": id, "breaker": state, "open": state == "open", "routes": targets[id, default: []].sorted().joined(separator: ", ")]
            if let figures = latency.figures(provider: id) {
                values["calls"] = figures.count
                values["p50"] = ProviderLatency.milliseconds(figures.p50)
                values["p99"] = ProviderLatency.milliseconds(figures.p99)
            }
            return values
        }
        let messagingProviders: [[String: Any]] = messaging.statuses().map { status in
            var values: [String: Any] = ["id": status.id, "name": status.name, "channels": status.channels.joined(separator: ", "),
                                         "state": status.state.rawValue, "down": status.state == .down,
                                         "limit": status.requestsPerMinute.map { "\($0)/min" } ?? "none"]
            if let paused = messaging.limiterPause(provider: status.id) { values["paused"] = "\(paused.components.seconds) s" }
            if let figures = latency.figures(provider: status.id, series: ProviderLatency.messagingSeries) {
                values["calls"] = figures.count
                values["p50"] = ProviderLatency.milliseconds(figures.p50)
                values["p99"] = ProviderLatency.milliseconds(figures.p99)
            }
            return values
        }
        return render("providers", title: "Providers", section: "Providers", session: session, [
            "llm": llmProviders, "messaging": messagingProviders,
        ])
    }
}
