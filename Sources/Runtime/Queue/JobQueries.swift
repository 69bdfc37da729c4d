import Foundation

/// The job store's reads and operator changes that are the same SQL on every backend: one
/// job, a tenant's or a batch's jobs, counts, the operator's cross-tenant page, retry and a
/// batch's cancel. Each runs inside the caller's transaction.
enum JobQueries {
    static let columns = """
        id, tenant, kind, payload, priority, run_at, attempts, max_attempts, recoveries, state, lease_owner, lease_expires_at,
        cancel_requested, last_error, result, unique_key, batch_id, created_at, updated_at, started_at, finished_at, traceparent
        """

    /// A row that selected `columns`, as a record.
    static func record(_ row: borrowing SQLRow) -> JobRecord {
        func date(_ name: String) -> Date? { (row[name] as Int64?).map(Date.init(millisecondsSince1970:)) }
        return JobRecord(
            id: JobID(rawValue: row["id"]), tenant: row["tenant"], kind: row["kind"], payload: row["payload"], priority: row["priority"],
            runAt: Date(millisecondsSince1970: row["run_at"]), attempts: row["attempts"], maxAttempts: row["max_attempts"],
            recoveries: row["recoveries"], state: JobState(rawValue: row["state"]) ?? .failed, leaseOwner: row["lease_owner"],
            leaseExpiresAt: date("lease_expires_at"), cancelRequested: row["cancel_requested"], lastError: row["last_error"],
            result: row["result"], uniqueKey: row["unique_key"], batchID: row["batch_id"],
            createdAt: Date(millisecondsSince1970: row["created_at"]), updatedAt: Date(millisecondsSince1970: row["updated_at"]),
            startedAt: date("started_at"), finishedAt: date("finished_at"), traceparent: row["traceparent"])
    }

    /// Where an inserted job's id comes from: made beforehand, or made by PostgreSQL in the
    /// INSERT itself from its shared sequence (the time in the high bits, the sequence in the
    /// low 22), which spares a round trip.
    enum NewID {
        case made(Int64)
        case sequence
    }

    /// Inserts `job`, running its first attempt under `owner`'s lease; with a unique key that
    /// exists, the existing job comes back instead (`created` false).
    static func insertRunning(_ job: NewJob, id: NewID, maxAttempts: Int, owner: String, leaseUntil: Date, at: Int64,
                              in tx: Transaction) throws -> EnqueuedJob {
        let traceparent = job.traceparent ?? TraceParent.of()
        let idValue: SQL = switch id {
        case .made(let made): "\(made)"
        case .sequence: "\(JobID.floor(milliseconds: at)) | (nextval('jobs_id_sequence') & 4194303)"
        }
        let insert: SQL = """
            INSERT INTO jobs (id, tenant, kind, payload, priority, run_at, attempts, max_attempts, state, lease_owner, lease_expires_at,
                              unique_key, batch_id, created_at, updated_at, started_at, traceparent)
            VALUES (\(idValue), \(job.tenant), \(job.kind), \(SQLText(job.payload)), \(job.priority), \(at), 1, \(maxAttempts), 'running',
                    \(owner), \(leaseUntil.millisecondsSince1970), \(job.uniqueKey), \(job.batchID), \(at), \(at), \(at), \(traceparent))
            ON CONFLICT (tenant, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
            """
        let inserted: Int64? = switch id {
        case .made(let made): try tx.run(insert) == 1 ? made : nil
        case .sequence: try tx.first("\(insert) RETURNING id") { $0["id"] as Int64 }
        }
        guard let inserted else {
            if let key = job.uniqueKey, let existing = try Self.job(tenant: job.tenant, uniqueKey: key, in: tx) {
                return EnqueuedJob(job: existing, created: false)
            }
            throw StoreError(kind: .constraint, message: "job \(job.kind) for \(job.tenant) was not inserted")
        }
        return EnqueuedJob(job: job.runningRecord(id: inserted, maxAttempts: maxAttempts, owner: owner, leaseUntil: leaseUntil, at: at,
                                                  traceparent: traceparent), created: true)
    }

    static func job(_ id: JobID, tenant: String?, in tx: Transaction) throws -> JobRecord? {
        let job = try tx.first("SELECT \(raw: columns) FROM jobs WHERE id = \(id.rawValue)") { record($0) }
        if let tenant, job?.tenant != tenant { return nil }
        return job
    }

    static func job(tenant: String, uniqueKey: String, in tx: Transaction) throws -> JobRecord? {
        try tx.first("SELECT \(raw: columns) FROM jobs WHERE tenant = \(tenant) AND unique_key = \(uniqueKey)") { record($0) }
    }

    static func countByState(batch: String? = nil, in tx: Transaction) throws -> [JobState: Int] {
        var counts: [JobState: Int] = [:]
        let filter: SQL = batch.map { "WHERE batch_id = \($0)" } ?? ""
        try tx.forEach("SELECT state, count(*) AS n FROM jobs \(filter) GROUP BY state") { row in
            if let state = JobState(rawValue: row["state"] as String) { counts[state] = row["n"] }
        }
        return counts
    }

    /// `AND kind = …`, or nothing for any kind.
    private static func ofKind(_ kind: String?) -> SQL { kind.map { " AND kind = \($0)" } ?? "" }

    static func jobs(tenant: String, states: [JobState], kind: String?, before: JobID?, limit: Int, in tx: Transaction) throws -> [JobRecord] {
        let stateFilter: SQL = states.isEmpty ? "" : " AND state IN (\(list: states.map(\.rawValue)))"
        return try tx.all("""
            SELECT \(raw: columns) FROM jobs
            WHERE tenant = \(tenant) AND id < \(before?.rawValue ?? Int64.max)\(ofKind(kind))\(stateFilter)
            ORDER BY id DESC LIMIT \(min(max(limit, 1), 1_000))
            """) { record($0) }
    }

    static func jobs(batch: String, kind: String?, after: JobID?, limit: Int, in tx: Transaction) throws -> [JobRecord] {
        try tx.all("""
            SELECT \(raw: columns) FROM jobs WHERE batch_id = \(batch) AND id > \(after?.rawValue ?? 0)\(ofKind(kind))
            ORDER BY id LIMIT \(min(max(limit, 1), 1_000))
            """) { record($0) }
    }

    static func cancelWaiting(batch: String, kind: String?, reason: String, now: Date, in tx: Transaction) throws -> Int {
        let now = now.millisecondsSince1970
        return try tx.run("""
            UPDATE jobs SET state = 'cancelled', cancel_requested = 1, last_error = \(reason), finished_at = \(now), updated_at = \(now)
            WHERE batch_id = \(batch) AND state IN ('queued', 'scheduled')\(ofKind(kind))
            """)
    }

    /// See `JobStore.operatorJobs`. The driving index is chosen by the filter: `jobs_problems`
    /// for failed/dead, `jobs_tenant` for a tenant, else the primary key; other filters apply
    /// to at most `scanWindow` rows of it.
    static func operatorJobs(_ filter: OperatorJobFilter, before: JobID?, limit: Int, scanWindow: Int,
                             in tx: Transaction) throws -> OperatorJobPage {
        let limit = min(max(limit, 1), 500)
        let window = max(scanWindow, limit)
        let below = before?.rawValue ?? Int64.max
        let drive: SQL
        if let state = filter.state, state == .failed || state == .dead {
            drive = "state = \(state.rawValue) AND state IN ('failed', 'dead')"
        } else if let tenant = filter.tenant {
            drive = "tenant = \(tenant)"
        } else {
            drive = "1 = 1"
        }
        let scan: SQL = "SELECT * FROM jobs WHERE \(drive) AND id < \(below) ORDER BY id DESC LIMIT \(window)"
        var matching: SQL = " WHERE 1 = 1"
        if let tenant = filter.tenant { matching = "\(matching) AND tenant = \(tenant)" }
        if let kind = filter.kind { matching = "\(matching) AND kind = \(kind)" }
        if let state = filter.state { matching = "\(matching) AND state = \(state.rawValue)" }
        var jobs = try tx.all("""
            SELECT \(raw: columns) FROM (\(scan)) AS scanned\(matching) ORDER BY id DESC LIMIT \(limit + 1)
            """) { record($0) }
        if jobs.count > limit {
            jobs.removeLast()
            return OperatorJobPage(jobs: jobs, nextBefore: jobs.last?.id, windowEnded: false)
        }
        // The window's last id comes from the same driving index, to page past rows that did not match.
        let edge = try tx.first("""
            SELECT min(id) AS lowest, count(*) AS scanned FROM (SELECT id FROM jobs WHERE \(drive) AND id < \(below)
            ORDER BY id DESC LIMIT \(window)) AS scanned
            """) { (lowest: $0["lowest"] as Int64?, scanned: $0["scanned"] as Int) }
        // A full window may have more below it; a short one reached the end of the index.
        let more = (edge?.scanned ?? 0) >= window
        return OperatorJobPage(jobs: jobs, nextBefore: more ? edge?.lowest.map(JobID.init(rawValue:)) : nil, windowEnded: more)
    }

    static func retry(_ id: JobID, now: Date, in tx: Transaction) throws -> RetryOutcome {
        guard let found = try tx.first("SELECT state FROM jobs WHERE id = \(id.rawValue)\(raw: tx.dialect.forUpdate)", { $0["state"] as String })
        else { return .notFound }
        let state = JobState(rawValue: found) ?? .failed
        guard state == .failed || state == .dead else { return .notRetryable(state) }
        let now = now.millisecondsSince1970
        let changed = try tx.run("""
            UPDATE jobs SET state = 'queued', run_at = \(now),
                max_attempts = CASE WHEN max_attempts > attempts THEN max_attempts ELSE attempts + 1 END,
                lease_owner = NULL, lease_expires_at = NULL, cancel_requested = 0, finished_at = NULL, updated_at = \(now)
            WHERE id = \(id.rawValue) AND state IN ('failed', 'dead')
            """)
        return changed == 1 ? .retried : .notRetryable(state)
    }
}
