public import CoreMetrics
import Foundation
public import Runtime
import Synchronization

/// One provider's breaker: after `failureThreshold` failures in a row it opens and refuses
/// calls for `openDuration`; then it half-opens and lets one probe through. The probe's success
/// closes it, its failure opens it again. State is a lock and a few fields: it sits on every
/// call's path, where an actor hop would cost more than the work.
public final class CircuitBreaker: Sendable {
    public enum State: String, Sendable, Equatable {
        case closed, open, halfOpen = "half_open"
    }

    public struct Configuration: Sendable, Equatable {
        public var failureThreshold: Int
        public var openDuration: Duration

        public init(failureThreshold: Int = 5, openDuration: Duration = .seconds(30)) {
            self.failureThreshold = max(1, failureThreshold)
            self.openDuration = openDuration
        }
    }

    private struct Fields {
        var state = State.closed
        var failures = 0
        var openUntil = Date.distantPast
        var probeInFlight = false
    }

    public let configuration: Configuration
    private let clock: any WallClock
    private let fields = Mutex(Fields())
    /// `switchboard_circuit_breaker_state` of this breaker, set on every transition (under the lock, so in order).
    private let gauge: Gauge?

    public init(configuration: Configuration = Configuration(), clock: any WallClock, gauge: Gauge? = nil) {
        self.configuration = configuration
        self.clock = clock
        self.gauge = gauge
        gauge?.record(State.closed.metricValue)
    }

    /// The state now (an open breaker whose time is up reads half-open).
    public var state: State {
        let now = clock.now()
        return fields.withLock { $0.state == .open && now >= $0.openUntil ? .halfOpen : $0.state }
    }

    /// Whether a call may go out now; a half-open breaker admits one probe at a time.
    public func permit() -> Bool {
        let now = clock.now()
        return fields.withLock { fields in
            switch fields.state {
            case .closed:
                return true
            case .open:
                guard now >= fields.openUntil else { return false }
                fields.state = .halfOpen
                fields.probeInFlight = true
                gauge?.record(State.halfOpen.metricValue)
                return true
            case .halfOpen:
                guard !fields.probeInFlight else { return false }
                fields.probeInFlight = true
                return true
            }
        }
    }

    /// The call this permit was for never reached the provider (our own limiter refused it):
    /// a half-open probe is handed back, the breaker's state stays as it is.
    public func releasePermit() {
        fields.withLock { $0.probeInFlight = false }
    }

    public func recordSuccess() {
        fields.withLock { fields in
            if fields.state != .closed { gauge?.record(State.closed.metricValue) }
            fields = Fields()
        }
    }

    public func recordFailure() {
        let now = clock.now()
        fields.withLock { fields in
            fields.failures += 1
            if fields.state == .halfOpen || fields.failures >= configuration.failureThreshold {
                fields.state = .open
                fields.openUntil = now.addingTimeInterval(configuration.openDuration.timeInterval)
                fields.probeInFlight = false
                gauge?.record(State.open.metricValue)
            }
        }
    }
}
