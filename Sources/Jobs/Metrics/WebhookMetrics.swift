public import CoreMetrics
import Foundation

/// The metrics of tenant webhook deliveries (Prometheus names), one sample per attempt:
/// - `switchboard_webhook_deliveries_total{outcome}` — attempts by what they led to: `delivered`
///   (the receiver answered 2xx), `retrying` (it did not; the delivery is tried again later) or
///   `failed` (it did not and the delivery gave up: retry window over, endpoint deleted);
/// - `switchboard_webhook_delivery_duration_seconds{outcome}` — each attempt's latency.
///
/// Only the outcome is a label: never the tenant, the endpoint or its URL.
public final class WebhookMetrics: Sendable {
    public enum Outcome: String, Sendable, CaseIterable {
        case delivered, retrying, failed
    }

    private let attempts: [Outcome: (Counter, CoreMetrics.Timer)]

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        // Three label sets, all made now: every series shows (at zero) before the first delivery.
        attempts = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { outcome in
            let labels = [("outcome", outcome.rawValue)]
            return (outcome, (Counter(label: "switchboard_webhook_deliveries_total", dimensions: labels, factory: factory),
                              CoreMetrics.Timer(label: "switchboard_webhook_delivery_duration_seconds", dimensions: labels, factory: factory)))
        })
    }

    func attempted(_ outcome: Outcome, after duration: Duration) {
        guard let (counter, timer) = attempts[outcome] else { return }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }
}
