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
