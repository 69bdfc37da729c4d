public import Foundation

/// The seam between the queue logic (workers, scheduler) and where jobs live. SQLite is the
/// embedded backend; a PostgreSQL one (`FOR UPDATE SKIP LOCKED`) can join behind the same
/// protocol without touching the worker pool.
public protocol JobStore: Sendable {
    /// Inserts the jobs in one commit. A job whose (tenant, unique key) exists is not
    /// inserted; the existing one is returned with `created == false`.
    func enqueue(_ jobs: [NewJob], defaultMaxAttempts: @Sendable (String) -> Int, now: Date) async throws -> [EnqueuedJob]

    /// Inserts jobs inside the caller's transaction (see `enqueue`), so they commit with the
    /// caller's other writes or not at all.
    func enqueue(_ jobs: [NewJob], maxAttempts: [Int], now: Date, in tx: Transaction) throws -> [EnqueuedJob]

    /// Inserts `job` already running its first attempt, leased to `owner` until `leaseUntil`,
    /// inside the caller's transaction: synchronous work that runs in the request's own task
    /// and is recovered like any leased job if the process dies. A job whose (tenant, unique
    /// key) exists is not inserted; the existing one is returned with `created == false`.
    func insertRunning(_ job: NewJob, maxAttempts: Int, owner: String, leaseUntil: Date, now: Date, in tx: Transaction) throws
        -> EnqueuedJob

    /// `complete` inside the caller's transaction (an inline attempt's outcome commits with its settlement).
    func complete(_ completions: [JobCompletion], now: Date, in tx: Transaction) throws

    /// Leases up to `request.limit` due jobs to `request.owner`, fairly across tenants.
    func claim(_ request: ClaimRequest) async throws -> ClaimResult

    /// Records how claimed jobs ended. Only the lease owner's word counts: a completion for a
    /// job that was recovered and leased to someone else — or recovered and leased again to
    /// the same owner (`JobCompletion.recoveries` no longer matches) — is ignored.
    func complete(_ completions: [JobCompletion], now: Date) async throws

    /// Extends the leases `owner` holds on `ids`: says which it still held (and renewed) and
    /// which of those have had their cancellation requested.
    func renewLeases(owner: String, ids: [JobID], until: Date) async throws -> LeaseRenewal

    /// Requeues running jobs whose lease expired (their worker is gone); a job recovered more
    /// than `maxRecoveries` times goes `dead`.
    func recoverExpiredLeases(now: Date, maxRecoveries: Int) async throws -> RecoveryReport

    /// Deletes up to `limit` finished jobs created before `createdBefore`; returns how many.
    func purgeFinished(createdBefore: Date, limit: Int) async throws -> Int

    /// Cancels a job: a queued one at once, a running one by flagging it for its worker.
    /// With `tenant`, a job of another tenant is `notFound`.
    func cancel(_ id: JobID, tenant: String?, now: Date) async throws -> CancelOutcome

    /// Runs `body` in a read-only transaction of the store's database (the reads below).
    func read<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value

    /// Runs `body` in a read-write transaction of the store's database; returns once it is durable.
    func write<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value
}

/// The reads and operator changes that are the same SQL on every backend (`JobQueries`).
extension JobStore {
    /// One job, or nil. With `tenant`, another tenant's job is nil.
    public func job(_ id: JobID, tenant: String?) async throws -> JobRecord? {
        try await read { try JobQueries.job(id, tenant: tenant, in: $0) }
    }

    /// The job enqueued with this unique key, if any.
    public func job(tenant: String, uniqueKey: String) async throws -> JobRecord? {
        try await read { try JobQueries.job(tenant: tenant, uniqueKey: uniqueKey, in: $0) }
    }

    /// How many jobs are in each state.
    public func countByState() async throws -> [JobState: Int] {
        try await read { try JobQueries.countByState(in: $0) }
    }

    /// A tenant's jobs, newest first: up to `limit` with an id below `before` (a cursor: the
    /// last id of the previous page), only of `states` when not empty and of `kind` when given.
    /// Jobs enqueued while a client pages have higher ids, so no page repeats or skips one.
    public func jobs(tenant: String, states: [JobState], kind: String?, before: JobID?, limit: Int) async throws -> [JobRecord] {
        try await read { try JobQueries.jobs(tenant: tenant, states: states, kind: kind, before: before, limit: limit, in: $0) }
    }

    /// The jobs of a batch by state (read through the `jobs_batch` index).
    public func counts(batch: String) async throws -> [JobState: Int] {
        try await read { try JobQueries.countByState(batch: batch, in: $0) }
    }

    /// A batch's jobs in id order, `limit` at a time after `after` (a cursor), optionally of one kind.
    public func jobs(batch: String, kind: String? = nil, after: JobID?, limit: Int) async throws -> [JobRecord] {
        try await read { try JobQueries.jobs(batch: batch, kind: kind, after: after, limit: limit, in: $0) }
    }

    /// Cancels every job of the batch that has not started (queued or scheduled), optionally of
    /// one kind, with `reason` as its last error; running jobs go on. Returns how many.
    public func cancelWaiting(batch: String, kind: String? = nil, reason: String, now: Date) async throws -> Int {
        try await write { try JobQueries.cancelWaiting(batch: batch, kind: kind, reason: reason, now: now, in: $0) }
    }

    /// Jobs of every tenant, newest first, below `before`, for the operator: a page reads at
    /// most `scanWindow` rows of one index (see `OperatorJobPage`).
    public func operatorJobs(_ filter: OperatorJobFilter, before: JobID?, limit: Int,
                             scanWindow: Int = OperatorJobPage.scanWindow) async throws -> OperatorJobPage {
        try await read { try JobQueries.operatorJobs(filter, before: before, limit: limit, scanWindow: scanWindow, in: $0) }
    }

    /// Puts a failed or dead job back in the queue, due now, with one more attempt than it has
    /// used (its history — attempts, last error — stays). Other states are left alone.
    public func retry(_ id: JobID, now: Date) async throws -> RetryOutcome {
        try await write { try JobQueries.retry(id, now: now, in: $0) }
    }
}

/// What a worker asks for when it has free slots.
public struct ClaimRequest: Sendable {
    public var owner: String
    public var limit: Int
    public var now: Date
    public var leaseUntil: Date
    /// Kinds with a concurrency limit and the slots each has left (0 = claim none of them).
    public var kindBudgets: [String: Int]
    /// A tenant's share of a claim round relative to others (1 = equal share).
    public var tenantWeight: @Sendable (String) -> Int

    public init(owner: String, limit: Int, now: Date, leaseUntil: Date, kindBudgets: [String: Int] = [:],
                tenantWeight: @escaping @Sendable (String) -> Int = { _ in 1 }) {
        self.owner = owner
        self.limit = limit
        self.now = now
        self.leaseUntil = leaseUntil
        self.kindBudgets = kindBudgets
        self.tenantWeight = tenantWeight
    }
}

extension ClaimRequest {
    /// Each tenant's share of a claim round: limit × weight / total weight, at least 1.
    func shares(of tenants: [String]) -> [String: Int] {
        let weights = tenants.map { max(1, tenantWeight($0)) }
        let total = weights.reduce(0, +)
        return Dictionary(zip(tenants, weights.map { max(1, limit * $0 / total) }), uniquingKeysWith: { first, _ in first })
    }
}

/// The jobs leased by a claim, and when the next not-yet-due job becomes due.
public struct ClaimResult: Sendable {
    public var jobs: [JobRecord]
    /// The earliest `runAt` among queued jobs, when the claim came back short.
    public var nextRunAt: Date?
}

/// How one attempt of a claimed job ended, as the store should record it.
public struct JobCompletion: Sendable {
    public enum Outcome: Sendable {
        case succeeded(result: Data?)
        /// Back to `queued` at `retryAt`; the attempt counts.
        case retry(at: Date, error: String)
        /// Back to `queued` at `until`; the attempt does not count.
        case snoozed(until: Date)
        /// Back to `queued` now; the attempt does not count (shutdown, lost lease).
        case released
        case failed(error: String)
        case dead(error: String)
        case cancelled

        /// Whether the job goes back to the queue to run again.
        public var requeues: Bool {
            switch self {
            case .retry, .snoozed, .released: true
            case .succeeded, .failed, .dead, .cancelled: false
            }
        }
    }

    public var id: JobID
    public var owner: String
    public var outcome: Outcome
    /// The job's recovery count when it was claimed (the lease's generation); when given, the
    /// completion counts only if the job has not been recovered since.
    public var recoveries: Int?

    public init(id: JobID, owner: String, outcome: Outcome, recoveries: Int? = nil) {
        self.id = id
        self.owner = owner
        self.outcome = outcome
        self.recoveries = recoveries
    }
}

/// What a lease renewal found.
public struct LeaseRenewal: Sendable, Equatable {
    /// The jobs whose lease the owner still held, now extended.
    public var renewed: [JobID] = []
    /// Those of them whose cancellation was requested.
    public var cancelRequested: [JobID] = []

    public init(renewed: [JobID] = [], cancelRequested: [JobID] = []) {
        self.renewed = renewed
        self.cancelRequested = cancelRequested
    }
}

/// What `cancel` did.
public enum CancelOutcome: Sendable, Equatable {
    /// The job was queued and is now `cancelled`; it will never start.
    case cancelled
    /// The job is running; its worker was asked to stop.
    case cancelling
    /// The job had already finished in this state.
    case alreadyFinished(JobState)
    case notFound
}

/// What a lease recovery pass did.
public struct RecoveryReport: Sendable, Equatable {
    public var requeued: [JobID] = []
    public var dead: [JobID] = []
    public var cancelled: [JobID] = []
    public var isEmpty: Bool { requeued.isEmpty && dead.isEmpty && cancelled.isEmpty }
}
