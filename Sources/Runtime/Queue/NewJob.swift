public import Foundation

/// A job to enqueue.
public struct NewJob: Sendable {
    public var kind: String
    public var tenant: String
    /// The handler's input, as JSON.
    public var payload: Data
    /// Higher runs first within a tenant; -1000...1000.
    public var priority: Int
    /// Not before this time; nil means now.
    public var runAt: Date?
    /// Overrides the kind's retry policy; nil uses it.
    public var maxAttempts: Int?
    /// Enqueueing again with the same (tenant, unique key) returns the existing job.
    public var uniqueKey: String?
    public var batchID: String?
    /// The W3C traceparent its attempts continue; nil takes the enqueuing task's (`TraceParent.of()`).
    public var traceparent: String?

    public init(kind: String, tenant: String, payload: Data = Data("{}".utf8), priority: Int = 0, runAt: Date? = nil,
                maxAttempts: Int? = nil, uniqueKey: String? = nil, batchID: String? = nil, traceparent: String? = nil) {
        self.kind = kind
        self.tenant = tenant
        self.payload = payload
        self.priority = priority
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.uniqueKey = uniqueKey
        self.batchID = batchID
        self.traceparent = traceparent
    }

    /// A job for `Handler`, with its payload encoded as JSON.
    public init<Handler: JobHandler>(_ handler: Handler.Type, tenant: String, payload: Handler.Payload, priority: Int = 0,
                                     runAt: Date? = nil, maxAttempts: Int? = nil, uniqueKey: String? = nil,
                                     batchID: String? = nil) throws {
        self.init(kind: Handler.kind, tenant: tenant, payload: try JobJSON.encoder.encode(payload), priority: priority,
                  runAt: runAt, maxAttempts: maxAttempts, uniqueKey: uniqueKey, batchID: batchID)
    }
}

/// The answer to an enqueue: the job, and whether this call created it (false when its
/// unique key matched an existing job).
public struct EnqueuedJob: Sendable {
    public var job: JobRecord
    public var created: Bool
}

extension NewJob {
    /// The record of this job just inserted already running (`JobStore.insertRunning`): its
    /// first attempt leased to `owner` until `leaseUntil`, made at `at` (milliseconds).
    func runningRecord(id: Int64, maxAttempts: Int, owner: String, leaseUntil: Date, at: Int64, traceparent: String?) -> JobRecord {
        let date = Date(millisecondsSince1970: at)
        return JobRecord(
            id: JobID(rawValue: id), tenant: tenant, kind: kind, payload: payload, priority: priority, runAt: date,
            attempts: 1, maxAttempts: maxAttempts, recoveries: 0, state: .running, leaseOwner: owner,
            leaseExpiresAt: Date(millisecondsSince1970: leaseUntil.millisecondsSince1970), cancelRequested: false, lastError: nil,
            result: nil, uniqueKey: uniqueKey, batchID: batchID, createdAt: date, updatedAt: date, startedAt: date,
            finishedAt: nil, traceparent: traceparent)
    }
}
