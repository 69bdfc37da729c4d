/// The answer of `RateLimiter.tryAcquire`: admitted (the permit was taken from every quota), or
/// refused with how long until the key could admit it (nothing was taken). The retry-after
/// is exact for the key's state at the moment of the answer: later acquisitions, reservations
/// and pauses can only push it back; only `configure` or `unpause` can bring it forward.
public enum RateLimitDecision: Sendable, Hashable {
    case admitted
    /// Refused; capacity (and the end of any pause) comes after this long, at least 1 ms.
    case retryAfter(Duration)

    public var isAdmitted: Bool {
        if case .admitted = self { return true }
        return false
    }

    /// The wait a refusal carries; nil when admitted.
    public var retryAfter: Duration? {
        if case .retryAfter(let wait) = self { return wait }
        return nil
    }
}
