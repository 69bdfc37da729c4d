public import Runtime

/// The batches' table (versions 300–399). Items are jobs (`jobs.batch_id` = the batch's id); a
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

    /// The same tables on PostgreSQL (`JobRuntime.open(postgres:…)`).
    public static let postgres: [Migration] = []
}
