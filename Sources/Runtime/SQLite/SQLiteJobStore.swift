public import Foundation
import Synchronization

/// The SQLite backend of `JobStore`. Every write runs in the store's group commit, so the
/// statements here run one at a time on the writer thread and see each other's effects.
public final class SQLiteJobStore: JobStore {
    let database: SQLiteStore
    private let ids = Mutex<Int64?>(nil)
    /// The tenant served last; the next claim round starts after it.
    private let roundRobinCursor = Mutex<String?>(nil)

    public init(database: SQLiteStore) {
        self.database = database
    }

    static let columns = """
        id, tenant, kind, payload, priority, run_at, attempts, max_attempts, recoveries, state, lease_owner,
        lease_expires_at, cancel_requested, last_error, result, unique_key, batch_id, created_at, updated_at,
        started_at, finished_at, traceparent
        """

    static func record(_ row: SQLiteStatement) -> JobRecord {
        JobRecord(
            id: JobID(rawValue: row.int64(0)), tenant: row.string(1) ?? "", kind: row.string(2) ?? "",
            payload: row.data(3) ?? Data(), priority: row.int(4), runAt: Date(millisecondsSince1970: row.int64(5)),
            attempts: row.int(6), maxAttempts: row.int(7), recoveries: row.int(8),
            state: JobState(rawValue: row.string(9) ?? "") ?? .failed, leaseOwner: row.string(10),
            leaseExpiresAt: row.optionalInt64(11).map(Date.init(millisecondsSince1970:)), cancelRequested: row.int(12) != 0,
            lastError: row.string(13), result: row.data(14), uniqueKey: row.string(15), batchID: row.string(16),
            createdAt: Date(millisecondsSince1970: row.int64(17)), updatedAt: Date(millisecondsSince1970: row.int64(18)),
            startedAt: row.optionalInt64(19).map(Date.init(millisecondsSince1970:)),
            finishedAt: row.optionalInt64(20).map(Date.init(millisecondsSince1970:)), traceparent: row.string(21))
    }

    /// The next time-sortable id: never below `now`'s floor, always above the last one made.
    private func nextID(_ connection: SQLiteConnection, nowMilliseconds: Int64) throws -> Int64 {
        let last = try ids.withLock { last -> Int64 in
            if let last { return last }
            return try connection.scalar("SELECT max(id) FROM jobs") ?? 0
        }
        let id = max(JobID.floor(milliseconds: nowMilliseconds), last + 1)
        ids.withLock { $0 = id }
        return id
    }

    // MARK: Enqueue

    public func enqueue(_ jobs: [NewJob], defaultMaxAttempts: @Sendable (String) -> Int, now: Date) async throws -> [EnqueuedJob] {
        let attempts = jobs.map { $0.maxAttempts ?? defaultMaxAttempts($0.kind) }
        return try await database.write { db in try self.insert(jobs, maxAttempts: attempts, db, now: now) }
    }

    public func enqueue(_ jobs: [NewJob], maxAttempts: [Int], now: Date, in tx: Transaction) throws -> [EnqueuedJob] {
        try insert(jobs, maxAttempts: maxAttempts, tx.connection, now: now)
    }

    public func insertRunning(_ job: NewJob, maxAttempts: Int, owner: String, leaseUntil: Date, now: Date, in tx: Transaction) throws
        -> EnqueuedJob {
        let at = now.millisecondsSince1970
        return try JobQueries.insertRunning(job, id: .made(try nextID(tx.connection, nowMilliseconds: at)), maxAttempts: maxAttempts,
                                            owner: owner, leaseUntil: leaseUntil, at: at, in: tx)
    }

    /// Inserts jobs inside the caller's transaction (the scheduler enqueues its fires and
    /// moves its schedules on in one commit).
    func insert(_ jobs: [NewJob], maxAttempts attempts: [Int], _ db: SQLiteConnection, now: Date) throws -> [EnqueuedJob] {
        let nowMS = now.millisecondsSince1970
        let insert = try db.statement("""
            INSERT INTO jobs (id, tenant, kind, payload, priority, run_at, max_attempts, state, unique_key, batch_id,
                              created_at, updated_at, traceparent)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
            """)
        var out: [EnqueuedJob] = []
        out.reserveCapacity(jobs.count)
        let current = TraceParent.of()  // the enqueuing task's (`SQLiteStore.write` carries it here)
        for (index, job) in jobs.enumerated() {
            let traceparent = job.traceparent ?? current
            let id = try nextID(db, nowMilliseconds: nowMS)
            let runAt = job.runAt?.millisecondsSince1970 ?? nowMS
            insert.reset()
            insert.bind(1, id)
            insert.bind(2, job.tenant)
            insert.bind(3, job.kind)
            insert.bindText(4, job.payload)
            insert.bind(5, job.priority)
            insert.bind(6, runAt)
            insert.bind(7, attempts[index])
            insert.bind(8, runAt > nowMS ? JobState.scheduled.rawValue : JobState.queued.rawValue)
            insert.bind(9, job.uniqueKey)
            insert.bind(10, job.batchID)
            insert.bind(11, nowMS)
            insert.bind(12, nowMS)
            insert.bind(13, traceparent)
            try insert.run()
            if let key = job.uniqueKey, db.changes == 0, let existing = try JobQueries.job(tenant: job.tenant, uniqueKey: key, in: Transaction(db)) {
                out.append(EnqueuedJob(job: existing, created: false))
                continue
            }
            let at = Date(millisecondsSince1970: nowMS)
            out.append(EnqueuedJob(job: JobRecord(
                id: JobID(rawValue: id), tenant: job.tenant, kind: job.kind, payload: job.payload, priority: job.priority,
                runAt: Date(millisecondsSince1970: runAt), attempts: 0, maxAttempts: attempts[index], recoveries: 0,
                state: runAt > nowMS ? .scheduled : .queued, leaseOwner: nil, leaseExpiresAt: nil, cancelRequested: false,
                lastError: nil, result: nil,
                uniqueKey: job.uniqueKey, batchID: job.batchID, createdAt: at, updatedAt: at, startedAt: nil, finishedAt: nil,
                traceparent: traceparent),
                created: true))
        }
        return out
    }

    // MARK: Claim

    public func claim(_ request: ClaimRequest) async throws -> ClaimResult {
        guard request.limit > 0 else { return ClaimResult(jobs: [], nextRunAt: nil) }
        return try await database.write { db in try self.claim(request, db) }
    }

    /// Weighted round-robin over the tenants with queued work, starting after the tenant
    /// served last: every tenant with a due job gets a slot in each round (while there are
    /// no more tenants than slots), then the leftover slots go round again.
    private func claim(_ request: ClaimRequest, _ db: SQLiteConnection) throws -> ClaimResult {
        let nowMS = request.now.millisecondsSince1970
        let promote = try db.statement("UPDATE jobs SET state = 'queued' WHERE state = 'scheduled' AND run_at <= ?")
        promote.bind(1, nowMS)
        try promote.run()
        let cursor = roundRobinCursor.withLock { $0 }
        let tenants = try tenantsWithQueuedJobs(db, startingAfter: cursor)
        var claimed: [JobRecord] = []
        var budgets = request.kindBudgets
        if !tenants.isEmpty {
            let shares = request.shares(of: tenants)
            var open = tenants
            var lastServed: String?
            while !open.isEmpty && claimed.count < request.limit {
                var stillOpen: [String] = []
                for tenant in open {
                    let want = min(shares[tenant, default: 1], request.limit - claimed.count)
                    if want <= 0 { break }
                    let (rows, more) = try claimTop(db, tenant: tenant, count: want, budgets: &budgets, request: request, nowMS: nowMS)
                    claimed += rows
                    if !rows.isEmpty { lastServed = tenant }
                    if more { stillOpen.append(tenant) }
                }
                open = stillOpen
            }
            if let lastServed { roundRobinCursor.withLock { $0 = lastServed } }
        }
        claimed.sort { ($0.priority, $1.runAt, $1.id) > ($1.priority, $0.runAt, $0.id) }
        var nextRunAt: Date?
        if claimed.count < request.limit, let next = try db.scalar("SELECT min(run_at) FROM jobs WHERE state = 'scheduled'") {
            nextRunAt = Date(millisecondsSince1970: next)
        }
        return ClaimResult(jobs: claimed, nextRunAt: nextRunAt)
    }

    /// The distinct tenants with queued jobs, in order, rotated to start after `cursor`
    /// (a loose index scan: one index seek per tenant).
    private func tenantsWithQueuedJobs(_ db: SQLiteConnection, startingAfter cursor: String?) throws -> [String] {
        let next = try db.statement("SELECT tenant FROM jobs WHERE state = 'queued' AND tenant > ? ORDER BY tenant LIMIT 1")
        func after(_ tenant: String) throws -> String? {
            next.reset()
            next.bind(1, tenant)
            return try next.step() ? next.string(0) : nil
        }
        var tail: [String] = []
        var head: [String] = []
        var current = cursor ?? ""
        while let tenant = try after(current) { tail.append(tenant); current = tenant }
        if let cursor {
            current = ""
            while let tenant = try after(current), tenant <= cursor { head.append(tenant); current = tenant }
        }
        return tail + head
    }

    /// Claims up to `count` of the tenant's due jobs, best first, never more of a limited kind
    /// than its budget (which it lowers). Candidates are read first and filtered against the
    /// budgets, then claimed by id, so a small budget on one kind does not shrink the claim
    /// for the others. `more` is true when the tenant may have more claimable work.
    private func claimTop(_ db: SQLiteConnection, tenant: String, count: Int, budgets: inout [String: Int],
                          request: ClaimRequest, nowMS: Int64) throws -> (rows: [JobRecord], more: Bool) {
        let saturated = budgets.filter { $0.value <= 0 }.map(\.key)
        let exclusion = saturated.isEmpty ? "" : "AND kind NOT IN (SELECT value FROM json_each(?3))"
        let candidates = try db.statement("""
            SELECT id, kind FROM jobs WHERE state = 'queued' AND tenant = ?1 \(exclusion)
            ORDER BY priority DESC, run_at, id LIMIT ?2
            """)
        candidates.bind(1, tenant)
        // Read past the jobs a budget turns away, up to the budgets' sum.
        candidates.bind(2, count + budgets.values.reduce(0) { $0 + max($1, 0) })
        if !saturated.isEmpty { candidates.bind(3, String(decoding: try JSONEncoder().encode(saturated), as: UTF8.self)) }
        var chosen: [Int64] = []
        var turnedAway = false
        while chosen.count < count, try candidates.step() {
            if let kind = candidates.string(1), let left = budgets[kind] {
                guard left > 0 else { turnedAway = true; continue }
                budgets[kind] = left - 1
            }
            chosen.append(candidates.int64(0))
        }
        candidates.reset()
        guard !chosen.isEmpty else { return ([], false) }
        let update = try db.statement("""
            UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?1, lease_expires_at = ?2,
                            started_at = ?3, updated_at = ?3
            WHERE id IN (SELECT value FROM json_each(?4)) AND state = 'queued'
            RETURNING id, tenant, kind, payload, priority, run_at, attempts, max_attempts, recoveries, unique_key, batch_id,
                      created_at, traceparent
            """)
        update.bind(1, request.owner)
        update.bind(2, request.leaseUntil.millisecondsSince1970)
        update.bind(3, nowMS)
        update.bind(4, "[" + chosen.map(String.init).joined(separator: ",") + "]")
        var rows: [JobRecord] = []
        rows.reserveCapacity(chosen.count)
        let now = Date(millisecondsSince1970: nowMS)
        while try update.step() {
            rows.append(JobRecord(
                id: JobID(rawValue: update.int64(0)), tenant: update.string(1) ?? "", kind: update.string(2) ?? "",
                payload: update.data(3) ?? Data(), priority: update.int(4), runAt: Date(millisecondsSince1970: update.int64(5)),
                attempts: update.int(6), maxAttempts: update.int(7), recoveries: update.int(8), state: .running,
                leaseOwner: request.owner, leaseExpiresAt: request.leaseUntil, cancelRequested: false, lastError: nil,
                result: nil, uniqueKey: update.string(9), batchID: update.string(10),
                createdAt: Date(millisecondsSince1970: update.int64(11)), updatedAt: now, startedAt: now, finishedAt: nil,
                traceparent: update.string(12)))
        }
        return (rows, chosen.count == count || turnedAway)
    }

    // MARK: Completion and leases

    public func complete(_ completions: [JobCompletion], now: Date) async throws {
        guard !completions.isEmpty else { return }
        try await database.write { db in try self.complete(completions, now: now, in: Transaction(db)) }
    }

    public func complete(_ completions: [JobCompletion], now: Date, in tx: Transaction) throws {
        let db = tx.connection
        do {
            let nowMS = now.millisecondsSince1970
            let update = try db.statement("""
                UPDATE jobs SET state = ?1, run_at = coalesce(?2, run_at), attempts = attempts - ?3,
                                last_error = coalesce(?4, last_error), result = ?5, finished_at = ?6, updated_at = ?7,
                                lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ?8 AND state = 'running' AND lease_owner = ?9 AND (?10 IS NULL OR recoveries = ?10)
                """)
            for completion in completions {
                let row = CompletionRow(completion.outcome, nowMS: nowMS)
                update.reset()
                update.bind(1, row.state.rawValue)
                update.bind(2, row.runAt)
                update.bind(3, row.refund)
                update.bind(4, row.error)
                update.bindText(5, row.result)
                update.bind(6, row.state.isTerminal ? nowMS : nil)
                update.bind(7, nowMS)
                update.bind(8, completion.id.rawValue)
                update.bind(9, completion.owner)
                update.bind(10, completion.recoveries.map(Int64.init))
                try update.run()
            }
        }
    }

    public func renewLeases(owner: String, ids: [JobID], until: Date) async throws -> LeaseRenewal {
        guard !ids.isEmpty else { return LeaseRenewal() }
        let list = "[" + ids.map { String($0.rawValue) }.joined(separator: ",") + "]"
        return try await database.write { db in
            let renew = try db.statement("""
                UPDATE jobs SET lease_expires_at = ?1
                WHERE id IN (SELECT value FROM json_each(?2)) AND state = 'running' AND lease_owner = ?3
                RETURNING id, cancel_requested
                """)
            renew.bind(1, until.millisecondsSince1970)
            renew.bind(2, list)
            renew.bind(3, owner)
            var renewal = LeaseRenewal()
            while try renew.step() {
                let id = JobID(rawValue: renew.int64(0))
                renewal.renewed.append(id)
                if renew.int(1) != 0 { renewal.cancelRequested.append(id) }
            }
            return renewal
        }
    }

    public func recoverExpiredLeases(now: Date, maxRecoveries: Int) async throws -> RecoveryReport {
        try await database.write { db in
            let recover = try db.statement("""
                UPDATE jobs SET
                    state = CASE WHEN cancel_requested = 1 THEN 'cancelled'
                                 WHEN recoveries + 1 > ?2 THEN 'dead' ELSE 'queued' END,
                    attempts = attempts - 1, recoveries = recoveries + 1,
                    last_error = 'lease expired: the worker running it was lost (recovery ' || (recoveries + 1) || ')',
                    lease_owner = NULL, lease_expires_at = NULL, run_at = ?1, updated_at = ?1,
                    finished_at = CASE WHEN cancel_requested = 1 OR recoveries + 1 > ?2 THEN ?1 END
                WHERE state = 'running' AND lease_expires_at < ?1
                RETURNING id, state
                """)
            recover.bind(1, now.millisecondsSince1970)
            recover.bind(2, maxRecoveries)
            var report = RecoveryReport()
            while try recover.step() {
                let id = JobID(rawValue: recover.int64(0))
                switch recover.string(1) {
                case "dead": report.dead.append(id)
                case "cancelled": report.cancelled.append(id)
                default: report.requeued.append(id)
                }
            }
            return report
        }
    }

    public func purgeFinished(createdBefore: Date, limit: Int) async throws -> Int {
        try await database.write { db in
            // Ids start with their creation time, so the primary key finds old rows: no index
            // on finished_at is needed on the hot path.
            let purge = try db.statement("""
                DELETE FROM jobs WHERE id IN (
                    SELECT id FROM jobs WHERE id < ?1 AND state IN ('succeeded', 'failed', 'dead', 'cancelled') LIMIT ?2)
                """)
            purge.bind(1, JobID.floor(milliseconds: createdBefore.millisecondsSince1970))
            purge.bind(2, limit)
            try purge.run()
            return db.changes
        }
    }

    // MARK: Cancel and read

    public func cancel(_ id: JobID, tenant: String?, now: Date) async throws -> CancelOutcome {
        try await database.write { db in
            let select = try db.statement("SELECT state, tenant FROM jobs WHERE id = ?")
            select.bind(1, id.rawValue)
            guard try select.step(), let raw = select.string(0), let state = JobState(rawValue: raw) else { return .notFound }
            if let tenant, select.string(1) != tenant { return .notFound }
            switch state {
            case .scheduled, .queued:
                let cancel = try db.statement("""
                    UPDATE jobs SET state = 'cancelled', cancel_requested = 1, finished_at = ?1, updated_at = ?1
                    WHERE id = ?2
                    """)
                cancel.bind(1, now.millisecondsSince1970)
                cancel.bind(2, id.rawValue)
                try cancel.run()
                return .cancelled
            case .running:
                let flag = try db.statement("UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?")
                flag.bind(1, now.millisecondsSince1970)
                flag.bind(2, id.rawValue)
                try flag.run()
                return .cancelling
            default:
                return .alreadyFinished(state)
            }
        }
    }

    public func read<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value {
        try await database.read { try body(Transaction($0)) }
    }

    public func write<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value {
        try await database.write { try body(Transaction($0)) }
    }
}
