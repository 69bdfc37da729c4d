/// Where a job is in its life: `(scheduled →) queued → running → succeeded | failed | dead |
/// cancelled`. A failed attempt with attempts left goes back to `scheduled` until its backoff
/// has passed.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its `runAt` (a delayed job, a retry's backoff, a snooze).
    case scheduled
    /// Due, waiting for a worker.
    case queued
    /// Claimed by a worker that holds its lease.
    case running
    /// Finished with a result.
    case succeeded
    /// Stopped by a permanent error (no retry).
    case failed
    /// Ran out of attempts, or kept killing its worker.
    case dead
    /// Cancelled before it finished.
    case cancelled

    /// True for the states a job never leaves.
    public var isTerminal: Bool {
        switch self {
        case .scheduled, .queued, .running: false
        case .succeeded, .failed, .dead, .cancelled: true
        }
    }
}
