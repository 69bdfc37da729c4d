/// How an attempt run inline (`JobRuntime.runInline`) ended: the body's result, and why the
/// runtime stopped it, if it did.
public struct InlineAttempt<Value: Sendable>: Sendable {
    /// Why the runtime stopped an attempt.
    public enum Stop: Sendable, Equatable {
        /// `cancel` was called for the job.
        case cancelled
        /// The kind's timeout passed.
        case timedOut
        /// The runtime began shutting down.
        case shutdown
        /// The lease ran out (the process was paused) or another worker took the job: this
        /// attempt's word does not count and it must record nothing.
        case leaseLost
    }

    public let result: Result<Value, any Error>
    public let stop: Stop?
}
