import CoreMetrics
import Foundation

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
