/// The PostgreSQL schema of the runtime's tables (jobs, wallets, schedules, idempotency keys), numbered like the SQLite one
/// (100s), written for PostgreSQL: BIGINT times in milliseconds as on SQLite, identity keys,
/// and partial indexes that match the claim and recovery queries. Each statement ends with a
/// semicolon at the end of its line (the migrator runs them one by one).
public enum PostgresSchema {
    public static let migrations: [Migration] = [
        Migration(version: 100, name: "jobs", sql: """
            -- Job ids are made from the enqueue time in the high bits and this sequence in the low 22.
            CREATE SEQUENCE jobs_id_sequence;
            CREATE TABLE jobs (
                id               BIGINT  PRIMARY KEY,
                tenant           TEXT    NOT NULL,
                kind             TEXT    NOT NULL,
                payload          TEXT    NOT NULL,
                priority         BIGINT  NOT NULL DEFAULT 0,
                run_at           BIGINT  NOT NULL,
                attempts         BIGINT  NOT NULL DEFAULT 0,
                max_attempts     BIGINT  NOT NULL,
                recoveries       BIGINT  NOT NULL DEFAULT 0,
                state            TEXT    NOT NULL,
                lease_owner      TEXT,
                lease_expires_at BIGINT,
                cancel_requested BIGINT  NOT NULL DEFAULT 0,
                last_error       TEXT,
                result           TEXT,
                unique_key       TEXT,
                batch_id         TEXT,
                created_at       BIGINT  NOT NULL,
                updated_at       BIGINT  NOT NULL,
                started_at       BIGINT,
                finished_at      BIGINT,
                traceparent      TEXT
            );
            -- Claiming: per tenant, by priority then due time (partial: due rows only).
            CREATE INDEX jobs_ready ON jobs (tenant, priority DESC, run_at, id) WHERE state = 'queued';
            CREATE INDEX jobs_scheduled ON jobs (run_at) WHERE state = 'scheduled';
            -- Heartbeats and lease recovery.
            CREATE INDEX jobs_running ON jobs (lease_expires_at) WHERE state = 'running';
            CREATE UNIQUE INDEX jobs_unique ON jobs (tenant, unique_key) WHERE unique_key IS NOT NULL;
            CREATE INDEX jobs_tenant ON jobs (tenant, id);
            CREATE INDEX jobs_batch ON jobs (batch_id, id) WHERE batch_id IS NOT NULL;
            """),
        Migration(version: 102, name: "wallets", sql: """
            CREATE TABLE wallets (
                id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant        TEXT   NOT NULL,
                owner         TEXT   NOT NULL,
                balance       BIGINT NOT NULL DEFAULT 0,
                reserved      BIGINT NOT NULL DEFAULT 0,
                created_at    BIGINT NOT NULL,
                updated_at    BIGINT NOT NULL,
                last_entry_id BIGINT,
                UNIQUE (tenant, owner),
                CHECK (reserved >= 0 AND balance >= reserved)
            );
            CREATE TABLE wallet_ledger (
                id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                wallet_id      BIGINT NOT NULL REFERENCES wallets (id),
                kind           TEXT   NOT NULL
                               CHECK (kind IN ('credit', 'reserve', 'settle', 'release', 'refund', 'adjustment', 'charge')),
                amount         BIGINT NOT NULL,
                balance_delta  BIGINT NOT NULL,
                reserved_delta BIGINT NOT NULL,
                reservation_id BIGINT,
                reference      TEXT,
                detail         TEXT,
                created_at     BIGINT NOT NULL,
                previous_id    BIGINT
            );
            CREATE UNIQUE INDEX wallet_ledger_reference ON wallet_ledger (wallet_id, kind, reference)
                WHERE kind IN ('credit', 'refund', 'adjustment') AND reference IS NOT NULL;
            CREATE UNIQUE INDEX wallet_ledger_charge ON wallet_ledger (reservation_id, reference) WHERE kind = 'charge';
            CREATE TABLE wallet_reservations (
                id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                wallet_id  BIGINT NOT NULL REFERENCES wallets (id),
                reference  TEXT   NOT NULL,
                job_id     BIGINT,
                amount     BIGINT NOT NULL CHECK (amount > 0),
                state      TEXT   NOT NULL CHECK (state IN ('held', 'settled', 'released')),
                charged    BIGINT NOT NULL DEFAULT 0,
                uncharged  BIGINT NOT NULL DEFAULT 0,
                refunded   BIGINT NOT NULL DEFAULT 0 CHECK (refunded <= charged),
                created_at BIGINT NOT NULL,
                closed_at  BIGINT
            );
            CREATE INDEX wallet_reservations_reference ON wallet_reservations (reference);
            CREATE INDEX wallet_reservations_held ON wallet_reservations (id) WHERE state = 'held';
            """),
        Migration(version: 101, name: "schedules", sql: """
            CREATE TABLE schedules (
                name         TEXT   PRIMARY KEY,
                expression   TEXT   NOT NULL,
                timezone     TEXT   NOT NULL,
                kind         TEXT   NOT NULL,
                tenant       TEXT   NOT NULL,
                payload      TEXT   NOT NULL,
                enabled      BIGINT NOT NULL,
                catch_up     TEXT   NOT NULL,
                last_fire_at BIGINT,
                next_fire_at BIGINT,
                created_at   BIGINT NOT NULL,
                updated_at   BIGINT NOT NULL
            );
            """),
        // `expires_at` is when the row stops holding its key (see IdempotencySchema); the purge
        // scans the oldest ids, which identity keys keep in creation order.
        Migration(version: 103, name: "idempotency_keys", sql: """
            CREATE TABLE idempotency_keys (
                id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant       TEXT   NOT NULL,
                key          TEXT   NOT NULL,
                fingerprint  BYTEA  NOT NULL,
                state        TEXT   NOT NULL CHECK (state IN ('in_flight', 'completed')),
                lease_owner  TEXT,
                created_at   BIGINT NOT NULL,
                expires_at   BIGINT NOT NULL,
                completed_at BIGINT,
                status       BIGINT,
                headers      TEXT,
                body         BYTEA,
                UNIQUE (tenant, key)
            );
            """),
        // One row per rate-limited key and quota the fleet shares (SharedRateBudget): its GCRA
        // theoretical arrival time, in microseconds since 1970.
        Migration(version: 104, name: "rate_budgets", sql: """
            CREATE TABLE rate_budgets (
                key TEXT   PRIMARY KEY,
                tat BIGINT NOT NULL
            );
            """),
        Migration(version: 190, name: "jobs_problems", sql: """
            CREATE INDEX jobs_problems ON jobs (state, id) WHERE state IN ('failed', 'dead');
            """),
    ]
}
