public import Foundation

/// Where the runtime gets the time. Everything time-based (run_at, leases, backoff, cron,
/// timeouts) asks this, so tests can drive time by hand with `TestClock`.
public protocol WallClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
    /// Suspends until `deadline` (or returns at once if it has passed). Throws on cancellation.
    func sleep(until deadline: Date) async throws
}

extension WallClock {
    /// The current time in whole milliseconds since 1970, the unit the store uses.
    public func nowMilliseconds() -> Int64 { now().millisecondsSince1970 }
}

/// The real clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else { return }
        try await Task.sleep(for: .seconds(seconds))
    }
}

extension Date {
    /// Milliseconds since 1970, truncated: the largest `ms` with `Date(millisecondsSince1970: ms) <= self`,
    /// so the conversion round-trips exactly and a stored due time is never after the instant it came from.
    public var millisecondsSince1970: Int64 {
        var ms = Int64((timeIntervalSince1970 * 1000).rounded(.down))
        // The arithmetic can land one ulp off either way (and `Date` compares its own
        // reference-date seconds): settle the floor by comparing dates, as callers will.
        if Date(millisecondsSince1970: ms) > self { ms -= 1 } else if Date(millisecondsSince1970: ms + 1) <= self { ms += 1 }
        return ms
    }

    public init(millisecondsSince1970 ms: Int64) {
        self.init(timeIntervalSince1970: Double(ms) / 1000)
    }
}

extension Duration {
    /// The duration in whole milliseconds (rounded down).
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds, as a `TimeInterval`.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
