public import Foundation

/// What the operator dashboard reads and does across tenants: a bounded, indexed job list and
/// putting a failed or dead job back in the queue.
extension SQLiteJobStore {
    /// Rows one page may read before it stops (see `OperatorJobPage`).
    public static let operatorScanWindow = 5_000

    /// Jobs of every tenant, newest first, below `before`. The driving index is chosen by the
    /// filter: `jobs_problems` for failed/dead, `jobs_tenant` for a tenant, else the primary key;
    /// other filters apply to at most `scanWindow` rows of it.
    public func operatorJobs(_ filter: OperatorJobFilter, before: JobID?, limit: Int,
                             scanWindow: Int = SQLiteJobStore.operatorScanWindow) async throws -> OperatorJobPage {
        let limit = min(max(limit, 1), 500)
        let window = max(scanWindow, limit)
        let below = before?.rawValue ?? Int64.max
        let drive: String
        if let state = filter.state, state == .failed || state == .dead {
            drive = "state = ?3 AND state IN ('failed', 'dead')"
        } else if filter.tenant != nil {
            drive = "tenant = ?1"
        } else {
            drive = "1"
        }
        let sql = """
            SELECT \(Self.columns) FROM (
                SELECT * FROM jobs WHERE \(drive) AND id < ?4 ORDER BY id DESC LIMIT ?5
            ) WHERE (?1 IS NULL OR tenant = ?1) AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR state = ?3)
            ORDER BY id DESC
            """
        return try await database.read { db in
            // The window's last id comes from the same driving index, to page past rows that did not match.
            let select = try db.statement(sql)
            select.bind(1, filter.tenant)
            select.bind(2, filter.kind)
            select.bind(3, filter.state?.rawValue)
            select.bind(4, below)
            select.bind(5, window)
            var jobs: [JobRecord] = []
            while jobs.count <= limit, try select.step() { jobs.append(Self.record(select)) }
            if jobs.count > limit {
                jobs.removeLast()
                return OperatorJobPage(jobs: jobs, nextBefore: jobs.last?.id, windowEnded: false)
            }
            let edge = try db.statement("SELECT min(id), count(*) FROM (SELECT id FROM jobs WHERE \(drive) AND id < ?4 ORDER BY id DESC LIMIT ?5)")
            edge.bind(1, filter.tenant)
            edge.bind(3, filter.state?.rawValue)
            edge.bind(4, below)
            edge.bind(5, window)
            _ = try edge.step()
            let scanned = edge.int(1)
            let lowest = edge.optionalInt64(0)
            // A full window may have more below it; a short one reached the end of the index.
            let more = scanned >= window
            return OperatorJobPage(jobs: jobs, nextBefore: more ? lowest.map(JobID.init(rawValue:)) : nil, windowEnded: more)
        }
    }

    /// Puts a failed or dead job back in the queue, due now, with one more attempt than it has
    /// used (its history — attempts, last error — stays). Other states are left alone.
    public func retry(_ id: JobID, now: Date) async throws -> RetryOutcome {
        try await database.write { db in
            let select = try db.statement("SELECT state FROM jobs WHERE id = ?")
            select.bind(1, id.rawValue)
            guard try select.step() else { return .notFound }
            let state = JobState(rawValue: select.string(0) ?? "") ?? .failed
            guard state == .failed || state == .dead else { return .notRetryable(state) }
            let update = try db.statement("""
                UPDATE jobs SET state = 'queued', run_at = ?1, max_attempts = max(max_attempts, attempts + 1),
                    lease_owner = NULL, lease_expires_at = NULL, cancel_requested = 0, finished_at = NULL, updated_at = ?1
                WHERE id = ?2 AND state IN ('failed', 'dead')
                """)
            update.bind(1, now.millisecondsSince1970)
            update.bind(2, id.rawValue)
            try update.run()
            return db.changes == 1 ? .retried : .notRetryable(state)
        }
    }
}
