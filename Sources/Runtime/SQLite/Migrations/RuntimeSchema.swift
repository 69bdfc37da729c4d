/// The runtime's own tables: jobs and schedules (versions 100–199).
public enum RuntimeSchema {
    public static let migrations: [Migration] = [
        Migration(version: 100, name: "jobs", sql: """
            CREATE TABLE jobs (
                id               INTEGER PRIMARY KEY,
                tenant           TEXT    NOT NULL,
                kind             TEXT    NOT NULL,
                payload          TEXT    NOT NULL,
                priority         INTEGER NOT NULL DEFAULT 0,
                run_at           INTEGER NOT NULL,
                attempts         INTEGER NOT NULL DEFAULT 0,
                max_attempts     INTEGER NOT NULL,
                recoveries       INTEGER NOT NULL DEFAULT 0,
                state            TEXT    NOT NULL,
                lease_owner      TEXT,
                lease_expires_at INTEGER,
                cancel_requested INTEGER NOT NULL DEFAULT 0,
                last_error       TEXT,
                result           TEXT,
                unique_key       TEXT,
                batch_id         TEXT,
                created_at       INTEGER NOT NULL,
                updated_at       INTEGER NOT NULL,
                started_at       INTEGER,
                finished_at      INTEGER
            );
            -- Claiming: per tenant, by priority then due time (partial: due rows only).
            CREATE INDEX jobs_ready ON jobs (tenant, priority DESC, run_at) WHERE state = 'queued';
            -- Delayed rows: promoted to queued when due; the earliest sets the worker's timer.
            -- Jobs that are due at once never enter this index.
            CREATE INDEX jobs_scheduled ON jobs (run_at) WHERE state = 'scheduled';
            -- Heartbeats and lease recovery.
            CREATE INDEX jobs_running ON jobs (lease_owner, lease_expires_at) WHERE state = 'running';
            CREATE UNIQUE INDEX jobs_unique ON jobs (tenant, unique_key) WHERE unique_key IS NOT NULL;
            """),
        Migration(version: 101, name: "schedules", sql: """
            CREATE TABLE schedules (
                name         TEXT PRIMARY KEY,
                expression   TEXT    NOT NULL,
                timezone     TEXT    NOT NULL,
                kind         TEXT    NOT NULL,
                tenant       TEXT    NOT NULL,
                payload      TEXT    NOT NULL,
                enabled      INTEGER NOT NULL,
                catch_up     TEXT    NOT NULL,
                last_fire_at INTEGER,
                next_fire_at INTEGER,
                created_at   INTEGER NOT NULL,
                updated_at   INTEGER NOT NULL
            );
            """),
        Migration(version: 104, name: "jobs_by_tenant", sql: """
            -- The jobs API: a tenant's jobs, newest first, paged by id.
            CREATE INDEX jobs_tenant ON jobs (tenant, id);
            """),
        Migration(version: 106, name: "jobs_by_batch", sql: """
            -- A batch's results in order, and its progress. Not keyed by state, so moving a job
            -- from state to state never touches this index.
            CREATE INDEX jobs_batch ON jobs (batch_id, id) WHERE batch_id IS NOT NULL;
            """),
        Migration(version: 107, name: "jobs_traceparent", sql: """
            -- The W3C traceparent of the request that enqueued the job (NULL: none), so its
            -- attempts, run later by any worker, continue that trace.
            ALTER TABLE jobs ADD COLUMN traceparent TEXT;
            """),
    ]
}
