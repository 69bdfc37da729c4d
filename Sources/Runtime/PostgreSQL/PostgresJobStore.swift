import Foundation
import Synchronization

/// The PostgreSQL backend of `JobStore`, for several instances on one database. Claims lock
/// the rows they take with `FOR UPDATE SKIP LOCKED` (instances never wait for each other's
/// claims, and never take the same job), tenant by tenant in the same weighted round-robin as
/// SQLite; every other change is a conditional statement on the job's state and lease, so an
/// instance's late word on a job another instance recovered counts for nothing.
final class PostgresJobStore: JobStore {
    private let sessions: PostgresSessions
    /// The tenant this instance served last; its next claim round starts after it.
    private let roundRobinCursor = Mutex<String?>(nil)

    init(sessions: PostgresSessions) {
        self.sessions = sessions
    }

    static let columns = JobQueries.columns

    static func record(_ row: borrowing SQLRow) -> JobRecord { JobQueries.record(row) }

    // MARK: Enqueue

    func enqueue(_ jobs: [NewJob], defaultMaxAttempts: @Sendable (String) -> Int, now: Date) async throws -> [EnqueuedJob] {
        let attempts = jobs.map { $0.maxAttempts ?? defaultMaxAttempts($0.kind) }
        return try await sessions.transaction(readOnly: false) { tx in try self.enqueue(jobs, maxAttempts: attempts, now: now, in: tx) }
    }

    /// Takes one id per job in one statement, then inserts the jobs a thousand rows at a time;
    /// a job whose unique key is taken is answered with the job that holds it.
    func enqueue(_ jobs: [NewJob], maxAttempts: [Int], now: Date, in tx: Transaction) throws -> [EnqueuedJob] {
        guard !jobs.isEmpty else { return [] }
        let at = now.millisecondsSince1970
        let ids = try newIDs(jobs.count, at: at, in: tx)
        let current = TraceParent.of()
        var records: [JobRecord] = []
        records.reserveCapacity(jobs.count)
        for (index, job) in jobs.enumerated() {
            let runAt = job.runAt?.millisecondsSince1970 ?? at
            let date = Date(millisecondsSince1970: at)
            records.append(JobRecord(
                id: JobID(rawValue: ids[index]), tenant: job.tenant, kind: job.kind, payload: job.payload, priority: job.priority,
                runAt: Date(millisecondsSince1970: runAt), attempts: 0, maxAttempts: maxAttempts[index], recoveries: 0,
                state: runAt > at ? .scheduled : .queued, leaseOwner: nil, leaseExpiresAt: nil, cancelRequested: false, lastError: nil,
                result: nil, uniqueKey: job.uniqueKey, batchID: job.batchID, createdAt: date, updatedAt: date, startedAt: nil,
                finishedAt: nil, traceparent: job.traceparent ?? current))
        }
        var inserted = Set<Int64>()
        var start = 0
        while start < records.count {
            let chunk = records[start..<min(start + 1_000, records.count)]
            var values: SQL = ""
            for (offset, job) in chunk.enumerated() {
                values = """
                    \(values)\(raw: offset == 0 ? "" : ", ")(\(job.id.rawValue), \(job.tenant), \(job.kind), \(SQLText(job.payload)), \
                    \(job.priority), \(job.runAt.millisecondsSince1970), \(job.maxAttempts), \(job.state.rawValue), \(job.uniqueKey), \
                    \(job.batchID), \(at), \(at), \(job.traceparent))
                    """
            }
            try tx.forEach("""
                INSERT INTO jobs (id, tenant, kind, payload, priority, run_at, max_attempts, state, unique_key, batch_id,
                                  created_at, updated_at, traceparent)
                VALUES \(values)
                ON CONFLICT (tenant, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
                RETURNING id
                """) { inserted.insert($0["id"]) }
            start += chunk.count
        }
        // Other instances' idle pools wake when this commits.
        if !inserted.isEmpty { try tx.send(PostgresWakeups.notify) }
        return try records.map { record in
            if inserted.contains(record.id.rawValue) { return EnqueuedJob(job: record, created: true) }
            guard let key = record.uniqueKey, let existing = try JobQueries.job(tenant: record.tenant, uniqueKey: key, in: tx) else {
                throw StoreError(kind: .constraint, message: "job \(record.id) was not inserted")
            }
            return EnqueuedJob(job: existing, created: false)
        }
    }

    func insertRunning(_ job: NewJob, maxAttempts: Int, owner: String, leaseUntil: Date, now: Date, in tx: Transaction) throws
        -> EnqueuedJob {
        let at = now.millisecondsSince1970
        return try JobQueries.insertRunning(job, id: .sequence, maxAttempts: maxAttempts, owner: owner,
                                            leaseUntil: leaseUntil, at: at, in: tx)
    }

    /// `count` new ids for jobs made at `at`: the time in the high bits, the shared sequence in
    /// the low 22, so ids from every instance are unique and sort by creation time.
    private func newIDs(_ count: Int, at: Int64, in tx: Transaction) throws -> [Int64] {
        try tx.all("""
            SELECT \(JobID.floor(milliseconds: at)) | (nextval('jobs_id_sequence') & 4194303) AS id FROM generate_series(1, \(count)) ORDER BY 1
            """) { $0["id"] as Int64 }
    }

    // MARK: Claim

    func claim(_ request: ClaimRequest) async throws -> ClaimResult {
        guard request.limit > 0 else { return ClaimResult(jobs: [], nextRunAt: nil) }
        return try await sessions.transaction(readOnly: false, durable: false) { tx in try self.claim(request, in: tx) }
    }

    /// Weighted round-robin over the tenants with queued work, starting after the tenant this
    /// instance served last: each round asks every open tenant for its share in one statement.
    private func claim(_ request: ClaimRequest, in tx: Transaction) throws -> ClaimResult {
        let nowMS = request.now.millisecondsSince1970
        try tx.send("UPDATE jobs SET state = 'queued' WHERE state = 'scheduled' AND run_at <= \(nowMS)")
        let tenants = rotated(try tenantsWithQueuedJobs(in: tx), after: roundRobinCursor.withLock { $0 })
        var claimed: [JobRecord] = []
        var budgets = request.kindBudgets
        if !tenants.isEmpty {
            let shares = request.shares(of: tenants)
            var open = tenants
            var lastServed: String?
            while !open.isEmpty && claimed.count < request.limit {
                var wants: [(tenant: String, count: Int)] = []
                var left = request.limit - claimed.count
                for tenant in open where left > 0 {
                    let want = min(shares[tenant, default: 1], left)
                    wants.append((tenant, want))
                    left -= want
                }
                let (rows, more) = try claimRound(wants, budgets: &budgets, request: request, in: tx)
                claimed += rows
                if let last = wants.last(where: { want in rows.contains { $0.tenant == want.tenant } }) { lastServed = last.tenant }
                open = open.filter { more.contains($0) }
            }
            if let lastServed { roundRobinCursor.withLock { $0 = lastServed } }
        }
        claimed.sort { ($0.priority, $1.runAt, $1.id) > ($1.priority, $0.runAt, $0.id) }
        var nextRunAt: Date?
        if claimed.count < request.limit,
           let next = try tx.first("SELECT min(run_at) AS next FROM jobs WHERE state = 'scheduled'", { $0["next"] as Int64? }) ?? nil {
            nextRunAt = Date(millisecondsSince1970: next)
        }
        return ClaimResult(jobs: claimed, nextRunAt: nextRunAt)
    }

    /// The distinct tenants with queued jobs, in order (a loose index scan: one seek each).
    private func tenantsWithQueuedJobs(in tx: Transaction) throws -> [String] {
        try tx.all("""
            WITH RECURSIVE t(tenant) AS (
                (SELECT tenant FROM jobs WHERE state = 'queued' ORDER BY tenant LIMIT 1)
                UNION ALL
                SELECT (SELECT j.tenant FROM jobs j WHERE j.state = 'queued' AND j.tenant > t.tenant ORDER BY j.tenant LIMIT 1)
                FROM t WHERE t.tenant IS NOT NULL)
            SELECT tenant FROM t WHERE tenant IS NOT NULL
            """) { $0["tenant"] as String }
    }

    private func rotated(_ tenants: [String], after cursor: String?) -> [String] {
        guard let cursor, let split = tenants.firstIndex(where: { $0 > cursor }) else { return tenants }
        return Array(tenants[split...] + tenants[..<split])
    }

    /// One round: locks up to each tenant's want of its best due jobs (read past what a kind's
    /// budget turns away) and leases those the budgets allow. Says which tenants may have more.
    private func claimRound(_ wants: [(tenant: String, count: Int)], budgets: inout [String: Int], request: ClaimRequest,
                            in tx: Transaction) throws -> (rows: [JobRecord], more: Set<String>) {
        let saturated = budgets.filter { $0.value <= 0 }.map(\.key)
        let exclusion: SQL = saturated.isEmpty ? "" : "AND kind NOT IN (\(list: saturated))"
        let extra = budgets.values.reduce(0) { $0 + max($1, 0) }
        var wanted: SQL = ""
        for (index, want) in wants.enumerated() {
            wanted = "\(wanted)\(raw: index == 0 ? "" : ", ")(\(want.tenant), \(want.count + extra))"
        }
        let candidates = try tx.all("""
            SELECT c.id, c.kind, w.tenant FROM (VALUES \(wanted)) AS w(tenant, n) CROSS JOIN LATERAL (
                SELECT id, kind, priority, run_at FROM jobs WHERE state = 'queued' AND tenant = w.tenant \(exclusion)
                ORDER BY priority DESC, run_at, id LIMIT w.n FOR UPDATE SKIP LOCKED) c
            ORDER BY w.tenant, c.priority DESC, c.run_at, c.id
            """) { (id: $0["id"] as Int64, kind: $0["kind"] as String, tenant: $0["tenant"] as String) }
        let wantOf = Dictionary(uniqueKeysWithValues: wants.map { ($0.tenant, $0.count) })
        var chosen: [Int64] = []
        var taken: [String: Int] = [:]
        var more = Set<String>()
        for candidate in candidates {
            let want = wantOf[candidate.tenant, default: 0]
            if taken[candidate.tenant, default: 0] >= want { more.insert(candidate.tenant); continue }
            if let left = budgets[candidate.kind] {
                guard left > 0 else { more.insert(candidate.tenant); continue }
                budgets[candidate.kind] = left - 1
            }
            taken[candidate.tenant, default: 0] += 1
            chosen.append(candidate.id)
        }
        for (tenant, count) in taken where count == wantOf[tenant] { more.insert(tenant) }
        guard !chosen.isEmpty else { return ([], []) }
        let nowMS = request.now.millisecondsSince1970
        let rows = try tx.all("""
            UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = \(request.owner),
                            lease_expires_at = \(request.leaseUntil.millisecondsSince1970), started_at = \(nowMS), updated_at = \(nowMS)
            WHERE id IN (\(list: chosen)) AND state = 'queued'
            RETURNING \(raw: Self.columns)
            """) { Self.record($0) }
        return (rows, more)
    }

    // MARK: Completion and leases

    func complete(_ completions: [JobCompletion], now: Date) async throws {
        guard !completions.isEmpty else { return }
        try await sessions.transaction(readOnly: false) { tx in try self.complete(completions, now: now, in: tx) }
    }

    /// Every completion in one statement (per 500): the rows join their outcomes by id, and
    /// only a row still leased to the completion's owner (and generation) changes. Sent without
    /// waiting: its answer comes with the commit's.
    func complete(_ completions: [JobCompletion], now: Date, in tx: Transaction) throws {
        let nowMS = now.millisecondsSince1970
        var start = 0
        while start < completions.count {
            let chunk = completions[start..<min(start + 500, completions.count)]
            var values: SQL = ""
            for (offset, completion) in chunk.enumerated() {
                let row = CompletionRow(completion.outcome, nowMS: nowMS)
                values = """
                    \(values)\(raw: offset == 0 ? "" : ", ")(\(completion.id.rawValue)::bigint, \(row.state.rawValue)::text, \(row.runAt)::bigint, \
                    \(row.refund)::bigint, \(row.error)::text, \(row.result.map(SQLText.init))::text, \
                    \(row.state.isTerminal ? nowMS : nil)::bigint, \
                    \(completion.owner)::text, \(completion.recoveries.map(Int64.init))::bigint)
                    """
            }
            try tx.send("""
                UPDATE jobs SET state = v.state, run_at = coalesce(v.run_at, jobs.run_at), attempts = jobs.attempts - v.refund,
                                last_error = coalesce(v.error, jobs.last_error), result = v.result, finished_at = v.finished_at,
                                updated_at = \(nowMS), lease_owner = NULL, lease_expires_at = NULL
                FROM (VALUES \(values)) AS v(id, state, run_at, refund, error, result, finished_at, owner, recoveries)
                WHERE jobs.id = v.id AND jobs.state = 'running' AND jobs.lease_owner = v.owner
                  AND (v.recoveries IS NULL OR jobs.recoveries = v.recoveries)
                """)
            start += chunk.count
        }
    }

    func renewLeases(owner: String, ids: [JobID], until: Date) async throws -> LeaseRenewal {
        guard !ids.isEmpty else { return LeaseRenewal() }
        return try await sessions.transaction(readOnly: false) { tx in
            var renewal = LeaseRenewal()
            try tx.forEach("""
                UPDATE jobs SET lease_expires_at = \(until.millisecondsSince1970)
                WHERE id IN (\(list: ids.map(\.rawValue))) AND state = 'running' AND lease_owner = \(owner)
                RETURNING id, cancel_requested
                """) { row in
                let id = JobID(rawValue: row["id"])
                renewal.renewed.append(id)
                if row["cancel_requested"] as Bool { renewal.cancelRequested.append(id) }
            }
            return renewal
        }
    }

    func recoverExpiredLeases(now: Date, maxRecoveries: Int) async throws -> RecoveryReport {
        let at = now.millisecondsSince1970
        return try await sessions.transaction(readOnly: false) { tx in
            var report = RecoveryReport()
            try tx.forEach("""
                UPDATE jobs SET
                    state = CASE WHEN cancel_requested = 1 THEN 'cancelled' WHEN recoveries + 1 > \(maxRecoveries) THEN 'dead' ELSE 'queued' END,
                    attempts = attempts - 1, recoveries = recoveries + 1,
                    last_error = 'lease expired: the worker running it was lost (recovery ' || (recoveries + 1) || ')',
                    lease_owner = NULL, lease_expires_at = NULL, run_at = \(at), updated_at = \(at),
                    finished_at = CASE WHEN cancel_requested = 1 OR recoveries + 1 > \(maxRecoveries) THEN \(at)::bigint END
                WHERE state = 'running' AND lease_expires_at < \(at)
                RETURNING id, state
                """) { row in
                let id = JobID(rawValue: row["id"])
                switch row["state"] as String {
                case "dead": report.dead.append(id)
                case "cancelled": report.cancelled.append(id)
                default: report.requeued.append(id)
                }
            }
            return report
        }
    }

    func purgeFinished(createdBefore: Date, limit: Int) async throws -> Int {
        try await sessions.transaction(readOnly: false) { tx in
            try tx.run("""
                DELETE FROM jobs WHERE id IN (
                    SELECT id FROM jobs WHERE id < \(JobID.floor(milliseconds: createdBefore.millisecondsSince1970))
                      AND state IN ('succeeded', 'failed', 'dead', 'cancelled') LIMIT \(limit))
                """)
        }
    }

    // MARK: Cancel and read

    func cancel(_ id: JobID, tenant: String?, now: Date) async throws -> CancelOutcome {
        let at = now.millisecondsSince1970
        return try await sessions.transaction(readOnly: false) { tx in
            guard let (state, owner) = try tx.first("SELECT state, tenant FROM jobs WHERE id = \(id.rawValue) FOR UPDATE", {
                (JobState(rawValue: $0["state"] as String), $0["tenant"] as String)
            }), let state else { return .notFound }
            if let tenant, owner != tenant { return .notFound }
            switch state {
            case .scheduled, .queued:
                try tx.run("""
                    UPDATE jobs SET state = 'cancelled', cancel_requested = 1, finished_at = \(at), updated_at = \(at) WHERE id = \(id.rawValue)
                    """)
                return .cancelled
            case .running:
                try tx.run("UPDATE jobs SET cancel_requested = 1, updated_at = \(at) WHERE id = \(id.rawValue)")
                return .cancelling
            default:
                return .alreadyFinished(state)
            }
        }
    }

    func read<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value {
        try await sessions.transaction(readOnly: true, body)
    }

    func write<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value {
        try await sessions.transaction(readOnly: false, body)
    }
}
