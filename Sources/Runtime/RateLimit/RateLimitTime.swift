/// Millisecond arithmetic shared by the limiter and the header parser: durations become whole
/// milliseconds rounded up (a wait is never reported shorter than it is) and bounded, so no
/// caller-supplied duration can overflow.
public enum RateLimitTime {
    /// The longest wait or pause the limiter will hold: 100 years, in milliseconds.
    public static let longestWait: Int64 = 100 * 366 * 86_400_000

    /// `duration` in whole milliseconds, rounded up, within `0...cap`.
    public static func milliseconds(roundingUp duration: Duration, cappedAt cap: Int64 = longestWait) -> Int64 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        guard seconds < cap / 1000 else { return cap }
        let whole = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let rest = attoseconds % 1_000_000_000_000_000
        return min(whole + (rest > 0 ? 1 : 0), cap)
    }
}
