public import CoreMetrics
import Foundation
import Runtime

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
