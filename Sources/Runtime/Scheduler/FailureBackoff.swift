import Foundation

/// How a loop that keeps failing (every write refused while the disk is full) slows down and
/// stays quiet: after the n-th failure in a row it waits `base × 2^(n-1)`, at most `cap`; it
/// asks to log the first failure and then at most one per `logInterval`, each with the number
/// of failures since the last one logged. A success resets it.
struct FailureBackoff: Sendable {
    let base: Duration
    let cap: Duration
    let logInterval: Duration
    private(set) var consecutiveFailures = 0
    private var unlogged = 0
    private var lastLogged: Date?

    init(base: Duration, cap: Duration, logInterval: Duration) {
        self.base = base
        self.cap = max(base, cap)
        self.logInterval = logInterval
    }

    /// Notes a failure at `now`: when to try again, and the failures to report if this one is to be logged.
    mutating func failed(at now: Date) -> (retryAt: Date, log: Int?) {
        consecutiveFailures += 1
        unlogged += 1
        let delay = min(cap, base * (1 << min(consecutiveFailures - 1, 20)))
        var log: Int?
        if lastLogged.map({ now.timeIntervalSince($0) >= logInterval.timeInterval }) ?? true {
            log = unlogged
            unlogged = 0
            lastLogged = now
        }
        return (now.addingTimeInterval(delay.timeInterval), log)
    }

    /// Notes a success; returns how many failures in a row it ends, if it ends any.
    mutating func succeeded() -> Int? {
        defer { consecutiveFailures = 0; unlogged = 0; lastLogged = nil }
        return consecutiveFailures > 0 ? consecutiveFailures : nil
    }
}
