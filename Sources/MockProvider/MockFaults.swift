import Foundation
import Hummingbird
import Synchronization

/// Faults switched on at runtime for a while (`POST /_mock/faults`), over the configured
/// latency and rates: how a chaos run makes the provider fail, slow down or rate-limit in bursts.
final class MockFaults: Sendable {
    struct Override: Sendable, Decodable {
        var errorRate: Double?
        var rateLimitRate: Double?
        var latencyMs: Int?
        /// How long the override lasts (default 5 s, at most an hour).
        var seconds: Double?
    }

    private let active = Mutex<(Override, ContinuousClock.Instant)?>(nil)

    func set(_ override: Override) {
        let seconds = min(max(override.seconds ?? 5, 0), 3_600)
        active.withLock { $0 = (override, .now + .milliseconds(Int64(seconds * 1_000))) }
    }

    /// The latency and rates in force now.
    func current(_ configuration: MockProvider.Configuration) -> (latency: Duration, errorRate: Double, rateLimitRate: Double) {
        let override = active.withLock { state -> Override? in
            guard let (override, until) = state, ContinuousClock.now < until else { return nil }
            return override
        }
        return (override?.latencyMs.map { .milliseconds($0) } ?? configuration.latency,
                min(max(override?.errorRate ?? configuration.errorRate, 0), 1),
                min(max(override?.rateLimitRate ?? configuration.rateLimitRate, 0), 1))
    }
}
