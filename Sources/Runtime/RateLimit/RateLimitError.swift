/// Why an acquisition failed without being admitted. Neither case takes anything from any
/// quota; both are raised at once, never after a pointless wait.
public enum RateLimitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The permit takes more of `quota`'s unit than the quota's whole capacity (its burst):
    /// it can never be admitted on this key, however long one waits.
    case exceedsCapacity(key: String, permit: Permit, quota: Quota)
    /// Capacity comes only after the caller's deadline; `retryAfter` is how long from the
    /// moment of the refusal until it would have come (for a `Retry-After` header).
    case deadlineExceeded(key: String, retryAfter: Duration)

    /// The wait to report to a client, if waiting could ever help.
    public var retryAfter: Duration? {
        switch self {
        case .exceedsCapacity: nil
        case .deadlineExceeded(_, let wait): wait
        }
    }

    public var description: String {
        switch self {
        case .exceedsCapacity(let key, let permit, let quota):
            "rate limit '\(key)': a permit of \(permit) can never fit \(quota)"
        case .deadlineExceeded(let key, let wait):
            "rate limit '\(key)': no capacity before the deadline (retry after \(wait.milliseconds) ms)"
        }
    }
}
