import Foundation

/// What an operator filters the jobs of every tenant by (each filter optional).
public struct OperatorJobFilter: Sendable, Equatable {
    public var tenant: String?
    public var state: JobState?
    public var kind: String?

    public init(tenant: String? = nil, state: JobState? = nil, kind: String? = nil) {
        self.tenant = tenant
        self.state = state
        self.kind = kind
    }
}

/// One page of the operator's job list, newest first. A page reads at most a bounded number of
/// rows through one index, so a view costs the same with 100,000 jobs as with 100: when the
/// filter matched fewer rows than asked for within that window, `nextBefore` still moves past
/// what was looked at, and the next page goes on from there.
public struct OperatorJobPage: Sendable {
    /// Rows one page may read before it stops.
    public static let scanWindow = 5_000

    public var jobs: [JobRecord]
    /// The cursor of the next page (ids below it), nil when nothing older is left.
    public var nextBefore: JobID?
    /// True when this page stopped at the scan window rather than at `limit` matches.
    public var windowEnded: Bool
}

/// What `retry` did.
public enum RetryOutcome: Sendable, Equatable {
    /// The job was failed or dead and is queued again with one more attempt.
    case retried
    /// Only failed and dead jobs are retried; the job is in this state.
    case notRetryable(JobState)
    case notFound
}
