public import Runtime

/// The batches' table (versions 300–399; on PostgreSQL 300–309). Items are jobs (`jobs.batch_id` = the batch's id); a
/// batch row holds what the items do not: status, its hold, and the figures frozen at the end.
public enum BatchSchema {
    public static let migrations: [Migration] = [
        Migration(version: 300, name: "inference_batches", sql: """
            CREATE TABLE inference_batches (
                seq                 INTEGER PRIMARY KEY,
                id                  TEXT    NOT NULL UNIQUE,
                tenant              TEXT    NOT NULL,
                status              TEXT    NOT NULL,
                wallet              TEXT    NOT NULL,
                hold_amount         INTEGER NOT NULL,
                hold_id             INTEGER,
                total               INTEGER NOT NULL,
                -- Frozen when the batch ends (the items' jobs may be purged later).
                completed           INTEGER,
                failed              INTEGER,
                cancelled           INTEGER,
                cost                INTEGER,
                error               TEXT,
                created_at          INTEGER NOT NULL,
                expires_at          INTEGER NOT NULL,
                cancel_requested_at INTEGER,
                expired_at          INTEGER,
                finished_at         INTEGER
            );
            CREATE INDEX inference_batches_tenant ON inference_batches (tenant, seq);
            -- Start-up finds batches interrupted while being created.
            CREATE INDEX inference_batches_validating ON inference_batches (seq) WHERE status = 'validating';
            """),
        Migration(version: 301, name: "inference_batches_idempotency", sql: """
            -- The submission's Idempotency-Key, set in the commit that queues the items: a retry
            -- with the key finds its batch even after the 24 h idempotency record is gone, or
            -- when the process died before the record was completed.
            ALTER TABLE inference_batches ADD COLUMN idempotency_key TEXT;
            CREATE UNIQUE INDEX inference_batches_idempotency ON inference_batches (tenant, idempotency_key)
                WHERE idempotency_key IS NOT NULL;
            -- Start-up finds the batches still running (their finalizer must be alive).
            CREATE INDEX inference_batches_active ON inference_batches (seq)
                WHERE status IN ('in_progress', 'finalizing', 'cancelling');
            """),
    ]

    /// The same table on PostgreSQL (`JobRuntime.open(postgres:…)`), versions 300–309: BIGINT
    /// for every integer (times in milliseconds, as on SQLite), the database's own identity for
    /// `seq` (the code never writes it), the same partial indexes.
    public static let postgres: [Migration] = [
        Migration(version: 300, name: "inference_batches", sql: """
            CREATE TABLE inference_batches (
                seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id                  TEXT   NOT NULL UNIQUE,
                tenant              TEXT   NOT NULL,
                status              TEXT   NOT NULL,
                wallet              TEXT   NOT NULL,
                hold_amount         BIGINT NOT NULL,
                hold_id             BIGINT,
                total               BIGINT NOT NULL,
                -- Frozen when the batch ends (the items' jobs may be purged later).
                completed           BIGINT,
                failed              BIGINT,
                cancelled           BIGINT,
                cost                BIGINT,
                error               TEXT,
                created_at          BIGINT NOT NULL,
                expires_at          BIGINT NOT NULL,
                cancel_requested_at BIGINT,
                expired_at          BIGINT,
                finished_at         BIGINT,
                -- The submission's Idempotency-Key (SQLite's migration 301 adds it).
                idempotency_key     TEXT
            );
            CREATE INDEX inference_batches_tenant ON inference_batches (tenant, seq);
            -- Start-up finds batches interrupted while being created.
            CREATE INDEX inference_batches_validating ON inference_batches (seq) WHERE status = 'validating';
            """),
        Migration(version: 301, name: "inference_batches_idempotency", sql: """
            -- A retry with the key finds its batch even after the 24 h idempotency record is gone.
            CREATE UNIQUE INDEX inference_batches_idempotency ON inference_batches (tenant, idempotency_key)
                WHERE idempotency_key IS NOT NULL;
            -- Start-up finds the batches still running (their finalizer must be alive).
            CREATE INDEX inference_batches_active ON inference_batches (seq)
                WHERE status IN ('in_progress', 'finalizing', 'cancelling');
            """),
    ]
}
