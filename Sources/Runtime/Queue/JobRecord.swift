public import Foundation

/// A job as stored: what it is, whose it is, and where it is in its life.
public struct JobRecord: Sendable, Identifiable {
    public var id: JobID
    public var tenant: String
    public var kind: String
    /// The handler's input, as JSON.
    public var payload: Data
    /// Higher runs first within a tenant.
    public var priority: Int
    public var runAt: Date
    /// Attempts started so far (including a running one).
    public var attempts: Int
    public var maxAttempts: Int
    /// Times the job was requeued because its worker vanished (lease expired).
    public var recoveries: Int
    public var state: JobState
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var cancelRequested: Bool
    public var lastError: String?
    /// The handler's output, as JSON.
    public var result: Data?
    public var uniqueKey: String?
    public var batchID: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The W3C traceparent of the request that enqueued it (nil: none); its attempts' spans continue that trace.
    public var traceparent: String? = nil
}
