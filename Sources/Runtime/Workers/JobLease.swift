import Foundation
import Synchronization

/// This process's lease on one running attempt, as far as it knows: until when the store
/// says it holds the job, and whether that time ever passed before a renewal came (a pause
/// or a stall longer than the lease: `kill -STOP`, a starved process). A lapsed attempt may
/// have been taken over by another worker, so it must not record a failure or undo money:
/// the pool requeues it without using an attempt (or drops its word if another worker owns
/// the job now), and handlers check `lapsed` before side effects such as voiding a charge.
public final class JobLease: Sendable {
    private struct State {
        var expiresAt: Date
        var lapsed = false
    }

    private let state: Mutex<State>
    private let clock: any WallClock

    init(expiresAt: Date, clock: any WallClock) {
        state = Mutex(State(expiresAt: expiresAt))
        self.clock = clock
    }

    /// Whether the lease ran out at some point during this attempt (it stays true once seen).
    public var lapsed: Bool { check(now: clock.now()) }

    /// Notes the time: past the expiry, the attempt is lapsed for good.
    @discardableResult
    func check(now: Date) -> Bool {
        state.withLock { state in
            if now >= state.expiresAt { state.lapsed = true }
            return state.lapsed
        }
    }

    /// Whether the lease has run out now (not yet renewed since it expired).
    func expired(now: Date) -> Bool { state.withLock { now >= $0.expiresAt } }

    /// The store extended the lease to `until`.
    func renewed(until: Date) {
        state.withLock { $0.expiresAt = max($0.expiresAt, until) }
    }
}
