public import CoreMetrics
import Foundation
import Runtime

/// The metrics of calls to LLM providers, as the router makes them (Prometheus names):
/// - `switchboard_provider_requests_total{provider,model,outcome}` — calls, `outcome` `success` or `error`;
/// - `switchboard_provider_request_duration_seconds{provider,model}` — each call's latency;
/// - `switchboard_provider_errors_total{provider,kind}` — failed calls by `ProviderError` kind
///   (`rate_limited`, `unavailable`, `timeout`, `quota_exceeded`, `invalid_request`);
/// - `switchboard_provider_retries_total{provider,model}` — calls made again to the same target after a retryable failure;
/// - `switchboard_provider_fallbacks_total{from,to}` — moves from one target (`provider/model`) to the next;
/// plus, through `LimiterMetrics` and `BreakerMetrics`, the limiter waits and breaker states.
///
/// Metric objects are made once per label set (`MetricCache`); the factory is injected, so
/// tests read what was recorded and `serve` hands in its Prometheus factory.
public final class ProviderMetrics: Sendable {
    struct Target: Sendable {
        let success: Counter
        let failure: Counter
        let duration: CoreMetrics.Timer
        let retries: Counter
    }

    struct ErrorKey: Hashable, Sendable {
        var provider: String
        var kind: String
    }

    struct FallbackKey: Hashable, Sendable {
        var from: RouteTarget
        var to: RouteTarget
    }

    private let targets: MetricCache<RouteTarget, Target>
    private let errors: MetricCache<ErrorKey, Counter>
    private let fallbacks: MetricCache<FallbackKey, Counter>
    let limiter: LimiterMetrics
    let breakers: BreakerMetrics

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        targets = MetricCache { target in
            let labels = [("provider", target.provider), ("model", target.model)]
            return Target(success: Counter(label: "switchboard_provider_requests_total", dimensions: labels + [("outcome", "success")],
                                           factory: factory),
                          failure: Counter(label: "switchboard_provider_requests_total", dimensions: labels + [("outcome", "error")],
                                           factory: factory),
                          duration: CoreMetrics.Timer(label: "switchboard_provider_request_duration_seconds", dimensions: labels, factory: factory),
                          retries: Counter(label: "switchboard_provider_retries_total", dimensions: labels, factory: factory))
        }
        errors = MetricCache { key in
            Counter(label: "switchboard_provider_errors_total", dimensions: [("provider", key.provider), ("kind", key.kind)], factory: factory)
        }
        fallbacks = MetricCache { key in
            Counter(label: "switchboard_provider_fallbacks_total", dimensions: [("from", key.from.description), ("to", key.to.description)],
                    factory: factory)
        }
        limiter = LimiterMetrics(factory: factory)
        breakers = BreakerMetrics(domain: "llm", factory: factory)
    }

    /// Makes the metric objects of these targets now, so their series show (at zero) before the first call.
    func prepare(_ targets: some Sequence<RouteTarget>) {
        for target in targets { _ = self.targets[target] }
    }

    func succeeded(_ target: RouteTarget, after duration: Duration) {
        let metrics = targets[target]
        metrics.success.increment()
        metrics.duration.recordNanoseconds(duration.nanoseconds)
    }

    func failed(_ target: RouteTarget, _ error: ProviderError, after duration: Duration) {
        let metrics = targets[target]
        metrics.failure.increment()
        metrics.duration.recordNanoseconds(duration.nanoseconds)
        errors[ErrorKey(provider: target.provider, kind: error.kind.metricName)].increment()
    }

    func retrying(_ target: RouteTarget) { targets[target].retries.increment() }

    func fellBack(from: RouteTarget, to: RouteTarget) { fallbacks[FallbackKey(from: from, to: to)].increment() }
}

/// `switchboard_rate_limiter_wait_seconds{limiter}`: how long each acquisition of a provider's
/// limiter waited (zero when capacity was there), and `switchboard_rate_limiter_refusals_total{limiter}`:
/// acquisitions refused because capacity would come after their deadline. `limiter` is the
/// limiter key (`llm:<provider>:<model>`, `messaging:<provider>`).
final class LimiterMetrics: Sendable {
    private let waits: MetricCache<String, CoreMetrics.Timer>
    private let refusals: MetricCache<String, Counter>

    init(factory: any MetricsFactory) {
        waits = MetricCache { CoreMetrics.Timer(label: "switchboard_rate_limiter_wait_seconds", dimensions: [("limiter", $0)], factory: factory) }
        refusals = MetricCache { Counter(label: "switchboard_rate_limiter_refusals_total", dimensions: [("limiter", $0)], factory: factory) }
    }

    func waited(_ key: String, _ duration: Duration) { waits[key].recordNanoseconds(duration.nanoseconds) }

    func refused(_ key: String) { refusals[key].increment() }
}

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

/// The metrics of the outbox relay's sends (Prometheus names):
/// - `switchboard_messaging_sends_total{provider,channel,outcome}` — sends, `outcome` `success` or `error`;
/// - `switchboard_messaging_send_duration_seconds{provider,channel}` — each send's latency;
/// - `switchboard_messaging_send_errors_total{provider,kind}` — failed sends by kind (`rate_limited`, `transient`, `permanent`);
/// - `switchboard_messaging_retries_total{provider}` — messages put back in the outbox to be sent again later;
/// plus the limiter waits of `messaging:<provider>` and the breakers (`domain="messaging"`).
public final class MessagingMetrics: Sendable {
    struct Send: Sendable {
        let success: Counter
        let failure: Counter
        let duration: CoreMetrics.Timer
    }

    struct SendKey: Hashable, Sendable {
        var provider: String
        var channel: Channel
    }

    struct ErrorKey: Hashable, Sendable {
        var provider: String
        var kind: String
    }

    private let sends: MetricCache<SendKey, Send>
    private let errors: MetricCache<ErrorKey, Counter>
    private let retries: MetricCache<String, Counter>
    let limiter: LimiterMetrics
    let breakers: BreakerMetrics

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        sends = MetricCache { key in
            let labels = [("provider", key.provider), ("channel", key.channel.rawValue)]
            return Send(success: Counter(label: "switchboard_messaging_sends_total", dimensions: labels + [("outcome", "success")],
                                         factory: factory),
                        failure: Counter(label: "switchboard_messaging_sends_total", dimensions: labels + [("outcome", "error")],
                                         factory: factory),
                        duration: CoreMetrics.Timer(label: "switchboard_messaging_send_duration_seconds", dimensions: labels, factory: factory))
        }
        errors = MetricCache { key in
            Counter(label: "switchboard_messaging_send_errors_total", dimensions: [("provider", key.provider), ("kind", key.kind)],
                    factory: factory)
        }
        retries = MetricCache { Counter(label: "switchboard_messaging_retries_total", dimensions: [("provider", $0)], factory: factory) }
        limiter = LimiterMetrics(factory: factory)
        breakers = BreakerMetrics(domain: "messaging", factory: factory)
    }

    func sent(_ provider: String, _ channel: Channel, after duration: Duration) {
        let metrics = sends[SendKey(provider: provider, channel: channel)]
        metrics.success.increment()
        metrics.duration.recordNanoseconds(duration.nanoseconds)
    }

    func failed(_ provider: String, _ channel: Channel, _ error: MessagingError, after duration: Duration) {
        let metrics = sends[SendKey(provider: provider, channel: channel)]
        metrics.failure.increment()
        metrics.duration.recordNanoseconds(duration.nanoseconds)
        errors[ErrorKey(provider: provider, kind: error.kind.metricName)].increment()
    }

    func retrying(_ provider: String) { retries[provider].increment() }
}

extension MessagingError.Kind {
    var metricName: String {
        switch self {
        case .rateLimited: "rate_limited"
        case .transient: "transient"
        case .permanent: "permanent"
        }
    }
}
