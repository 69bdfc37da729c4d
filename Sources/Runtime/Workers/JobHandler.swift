import Foundation
public import Logging

/// Runs one kind of job. Register one per kind with `JobRegistry`; the runtime decodes the
/// stored JSON payload into `Payload` and stores `Output` as the job's JSON result.
///
/// Handlers must honour task cancellation (user cancel, timeout, shutdown) promptly.
public protocol JobHandler: Sendable {
    associatedtype Payload: Codable & Sendable
    associatedtype Output: Codable & Sendable = NoOutput
    /// The job kind, e.g. `inference.complete`.
    static var kind: String { get }
    /// Retries, timeout and concurrency for this kind.
    var options: JobKindOptions { get }
    func run(_ payload: Payload, context: JobContext) async throws -> Output
}

extension JobHandler {
    public var options: JobKindOptions { JobKindOptions() }
}

/// The result of a handler that returns nothing; stored as no result.
public struct NoOutput: Codable, Sendable, Equatable {
    public init() {}
}

/// How a job kind runs.
public struct JobKindOptions: Sendable {
    public var retry: RetryPolicy
    /// An attempt running longer than this is cancelled and counts as a failed attempt.
    public var timeout: Duration
    /// At most this many jobs of the kind run at once in this process (nil: only the global bound).
    public var maxConcurrency: Int?
    /// True for the server's own work (maintenance, template sync, the outbox relay), which a
    /// schedule may run as the reserved tenant `system`; a schedule of any other kind must name a tenant.
    public var runsWithoutTenant: Bool

    public init(retry: RetryPolicy = .exponentialJitter(), timeout: Duration = .seconds(300), maxConcurrency: Int? = nil,
                runsWithoutTenant: Bool = false) {
        self.retry = retry
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency.map { max(1, $0) }
        self.runsWithoutTenant = runsWithoutTenant
    }
}

/// What a handler knows about the attempt it is running.
public struct JobContext: Sendable {
    public let id: JobID
    public let tenant: String
    public let kind: String
    /// 1 for the first attempt.
    public let attempt: Int
    public let maxAttempts: Int
    public let batchID: String?
    public let uniqueKey: String?
    public let clock: any WallClock
    public let logger: Logger
    /// This attempt's lease. When it has lapsed (the process was paused past it), another
    /// worker may be running the job: do not undo what that one may have done.
    public let lease: JobLease

    /// Whether this attempt's lease ran out while it ran (see `JobLease`).
    public var leaseLapsed: Bool { lease.lapsed }
}

/// Errors a handler throws to steer what happens next (any other error is a retryable failure).
public struct JobFailure: Error, CustomStringConvertible, Sendable {
    enum Action: Sendable, Equatable {
        case snooze(Duration)
        case permanent
    }

    let action: Action
    public let message: String

    /// Run again after `delay` without using an attempt (e.g. a provider's 429).
    public static func snooze(for delay: Duration, reason: String = "snoozed") -> JobFailure {
        JobFailure(action: .snooze(delay), message: reason)
    }

    /// Fail now and do not retry (e.g. invalid input, a permanent provider error).
    public static func permanent(_ message: String) -> JobFailure {
        JobFailure(action: .permanent, message: message)
    }

    public var description: String { message }
}
