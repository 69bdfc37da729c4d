/// How a job kind retries: how many attempts in all, and how long to wait before each retry
/// (exponential backoff with "equal jitter": half the step fixed, half random).
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    /// The wait before the first retry; doubles each retry.
    public var baseDelay: Duration
    /// The longest wait between attempts.
    public var maxDelay: Duration

    public init(maxAttempts: Int, baseDelay: Duration, maxDelay: Duration) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = max(baseDelay, maxDelay)
    }

    /// Exponential backoff with jitter: `base × 2^(n−1)`, capped at `maxBackoff`, of which a
    /// random half is waived.
    public static func exponentialJitter(maxAttempts: Int = 5, base: Duration = .seconds(1),
                                         maxBackoff: Duration = .seconds(300)) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, baseDelay: base, maxDelay: maxBackoff)
    }

    /// One attempt only: a failure is final.
    public static let dontRetry = RetryPolicy(maxAttempts: 1, baseDelay: .zero, maxDelay: .zero)

    /// The un-jittered step before retry number `retry` (1 = after the first failed attempt).
    public func step(beforeRetry retry: Int) -> Duration {
        let base = baseDelay.milliseconds
        let cap = maxDelay.milliseconds
        let shift = min(max(retry - 1, 0), 40)
        let (scaled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << shift)
        return .milliseconds(overflow ? cap : min(scaled, cap))
    }

    /// The wait before retry number `retry`: uniformly in [step/2, step].
    public func delay<R: RandomNumberGenerator>(beforeRetry retry: Int, using random: inout R) -> Duration {
        let step = step(beforeRetry: retry).milliseconds
        guard step > 1 else { return .milliseconds(step) }
        let half = step / 2
        return .milliseconds(half + Int64.random(in: 0...(step - half), using: &random))
    }
}
