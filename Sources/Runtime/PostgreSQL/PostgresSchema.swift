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
        // Reserving and closing as one call each (PostgresLedger): the wallet's row stays locked
        // for one round trip and the commit instead of six statements. They decide exactly as
        // SQLLedger's statements do (the wallet suites run on both backends), and answer with
        // an `outcome` instead of raising, so a refusal leaves the caller's transaction usable.
        Migration(version: 105, name: "wallet_functions", sql: """
            CREATE FUNCTION wallet_reserve(p_tenant TEXT, p_owner TEXT, p_amount BIGINT, p_reference TEXT, p_job BIGINT, p_now BIGINT,
                                           OUT outcome TEXT, OUT id BIGINT, OUT wallet_id BIGINT, OUT job_id BIGINT, OUT amount BIGINT,
                                           OUT state TEXT, OUT charged BIGINT, OUT uncharged BIGINT, OUT available BIGINT)
            LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            DECLARE
                w wallets%ROWTYPE;
                made BIGINT;
                line BIGINT;
            BEGIN
                SELECT * INTO w FROM wallets WHERE wallets.tenant = p_tenant AND wallets.owner = p_owner FOR UPDATE;
                IF NOT FOUND THEN
                    outcome := 'no_wallet';
                    available := 0;
                    RETURN;
                END IF;
                wallet_id := w.id;
                available := w.balance - w.reserved;
                -- The same reference again (a rerun, a retry) is the reservation made before.
                SELECT r.id, r.job_id, r.amount, r.state, r.charged, r.uncharged INTO id, job_id, amount, state, charged, uncharged
                    FROM wallet_reservations r
                    WHERE r.reference = p_reference AND r.wallet_id = w.id AND r.state IN ('held', 'settled')
                    ORDER BY r.id DESC LIMIT 1;
                IF FOUND THEN
                    outcome := 'existing';
                    RETURN;
                END IF;
                IF p_amount > w.balance - w.reserved THEN
                    outcome := 'insufficient';
                    RETURN;
                END IF;
                INSERT INTO wallet_reservations (wallet_id, reference, job_id, amount, state, created_at)
                    VALUES (w.id, p_reference, p_job, p_amount, 'held', p_now) RETURNING wallet_reservations.id INTO made;
                INSERT INTO wallet_ledger (wallet_id, kind, amount, balance_delta, reserved_delta, reservation_id, reference, created_at,
                                           previous_id)
                    VALUES (w.id, 'reserve', p_amount, 0, p_amount, made, p_reference, p_now, w.last_entry_id)
                    RETURNING wallet_ledger.id INTO line;
                UPDATE wallets SET reserved = wallets.reserved + p_amount, updated_at = p_now, last_entry_id = line WHERE wallets.id = w.id;
                outcome := 'held';
                id := made;
                job_id := p_job;
                amount := p_amount;
                state := 'held';
                charged := 0;
                uncharged := 0;
                available := available - p_amount;
            END
            $$;
            CREATE FUNCTION wallet_close(p_tenant TEXT, p_owner TEXT, p_reservation BIGINT, p_cost BIGINT, p_now BIGINT,
                                         OUT outcome TEXT, OUT id BIGINT, OUT wallet_id BIGINT, OUT reference TEXT, OUT job_id BIGINT,
                                         OUT amount BIGINT, OUT state TEXT, OUT charged BIGINT, OUT uncharged BIGINT)
            LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            DECLARE
                w wallets%ROWTYPE;
                r wallet_reservations%ROWTYPE;
                holding BIGINT;
                taken BIGINT;
                excess BIGINT;
                closing TEXT;
                line BIGINT;
            BEGIN
                SELECT * INTO w FROM wallets WHERE wallets.tenant = p_tenant AND wallets.owner = p_owner FOR UPDATE;
                SELECT * INTO r FROM wallet_reservations WHERE wallet_reservations.id = p_reservation AND wallet_reservations.wallet_id = w.id;
                IF NOT FOUND THEN
                    outcome := 'not_found';
                    RETURN;
                END IF;
                id := r.id;
                wallet_id := r.wallet_id;
                reference := r.reference;
                job_id := r.job_id;
                amount := r.amount;
                IF r.state <> 'held' THEN
                    outcome := 'closed';
                    state := r.state;
                    charged := r.charged;
                    uncharged := r.uncharged;
                    RETURN;
                END IF;
                holding := r.amount - r.charged;
                taken := least(coalesce(p_cost, 0), holding);
                excess := greatest(0, coalesce(p_cost, 0) - holding);
                closing := CASE WHEN p_cost IS NULL AND r.charged = 0 THEN 'released' ELSE 'settled' END;
                UPDATE wallet_reservations
                    SET state = closing, charged = wallet_reservations.charged + taken, uncharged = wallet_reservations.uncharged + excess,
                        closed_at = p_now
                    WHERE wallet_reservations.id = r.id;
                IF p_cost IS NOT NULL THEN
                    INSERT INTO wallet_ledger (wallet_id, kind, amount, balance_delta, reserved_delta, reservation_id, reference, detail,
                                               created_at, previous_id)
                        VALUES (w.id, 'settle', taken, -taken, -holding, r.id, r.reference,
                                CASE WHEN excess > 0 THEN 'cost above the reservation not charged: ' || (excess / 1000000)::TEXT || '.'
                                     || regexp_replace(lpad((excess % 1000000)::TEXT, 6, '0'), '0{1,4}$', '') || ' USD' END,
                                p_now, w.last_entry_id)
                        RETURNING wallet_ledger.id INTO line;
                ELSE
                    INSERT INTO wallet_ledger (wallet_id, kind, amount, balance_delta, reserved_delta, reservation_id, reference, created_at,
                                               previous_id)
                        VALUES (w.id, 'release', holding, 0, -holding, r.id, r.reference, p_now, w.last_entry_id)
                        RETURNING wallet_ledger.id INTO line;
                END IF;
                UPDATE wallets SET balance = wallets.balance - taken, reserved = wallets.reserved - holding, updated_at = p_now,
                                   last_entry_id = line
                    WHERE wallets.id = w.id;
                outcome := 'closed_now';
                state := closing;
                charged := r.charged + taken;
                uncharged := r.uncharged + excess;
            END
            $$;
            """),
        Migration(version: 106, name: "wallet_close_reading_balance", sql: """
            -- wallet_close, also answering the wallet's balance once closed, read under the lock
            -- wallet_close took: the settlement of a completion needs it, without another round
            -- trip while the wallet stays locked.
            CREATE FUNCTION wallet_close_reading_balance(p_tenant TEXT, p_owner TEXT, p_reservation BIGINT, p_cost BIGINT, p_now BIGINT,
                                                         OUT outcome TEXT, OUT id BIGINT, OUT wallet_id BIGINT, OUT reference TEXT,
                                                         OUT job_id BIGINT, OUT amount BIGINT, OUT state TEXT, OUT charged BIGINT,
                                                         OUT uncharged BIGINT, OUT balance BIGINT)
            LANGUAGE plpgsql AS $$
            BEGIN
                SELECT * INTO outcome, id, wallet_id, reference, job_id, amount, state, charged, uncharged
                    FROM wallet_close(p_tenant, p_owner, p_reservation, p_cost, p_now);
                SELECT w.balance INTO balance FROM wallets w WHERE w.tenant = p_tenant AND w.owner = p_owner;
            END
            $$;
            """),
        Migration(version: 190, name: "jobs_problems", sql: """
            CREATE INDEX jobs_problems ON jobs (state, id) WHERE state IN ('failed', 'dead');
            """),
    ]
}
