import CoreMetrics
import Foundation
import Runtime

/// `switchboard_circuit_breaker_state{domain,provider}`: 0 closed, 1 half-open, 2 open, as of
/// the breaker's last transition (an open breaker whose time is up reads 2 until a call probes
/// it). `domain` is `llm` or `messaging`: a provider id may be used by both.
final class BreakerMetrics: Sendable {
    private let domain: String
    private let factory: any MetricsFactory

    init(domain: String, factory: any MetricsFactory) {
        self.domain = domain
        self.factory = factory
    }

    /// The gauge of one provider's breaker (made once, with the breaker).
    func gauge(provider: String) -> Gauge {
        Gauge(label: "switchboard_circuit_breaker_state", dimensions: [("domain", domain), ("provider", provider)], factory: factory)
    }
}

extension ProviderError.Kind {
    var metricName: String {
        switch self {
        case .rateLimited: "rate_limited"
        case .unavailable: "unavailable"
        case .timeout: "timeout"
        case .quotaExceeded: "quota_exceeded"
        case .invalidRequest: "invalid_request"
        }
    }
}

extension CircuitBreaker.State {
    /// The gauge value: 0 closed, 1 half-open, 2 open.
    var metricValue: Int {
        switch self {
        case .closed: 0
        case .halfOpen: 1
        case .open: 2
        }
    }
}

extension WallClock {
    /// Time since `start` on this clock, never negative (a wall clock may step back).
    func elapsed(since start: Date) -> Duration {
        .nanoseconds(Int64(max(0, now().timeIntervalSince(start)) * 1_000_000_000))
    }
}
