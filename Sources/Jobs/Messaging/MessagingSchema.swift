public import Runtime

/// The messaging tables (versions 310–399): messages and their status history, the outbox the
/// relay drains, the templates synced from providers, and (330–339) delivery reports,
/// suppressions and reconciliation.
public enum MessagingSchema {
    public static let migrations: [Migration] = [
        Migration(version: 310, name: "messages", sql: """
            CREATE TABLE messages (
                seq                 INTEGER PRIMARY KEY,
                id                  TEXT    NOT NULL UNIQUE,
                tenant              TEXT    NOT NULL,
                channel             TEXT    NOT NULL,
                recipient           TEXT    NOT NULL,
                sender              TEXT    NOT NULL,
                subject             TEXT,
                body                TEXT,
                template_id         INTEGER,
                variables           TEXT,
                provider            TEXT    NOT NULL,
                status              TEXT    NOT NULL,
                provider_message_id TEXT,
                error_code          TEXT,
                error_message       TEXT,
                attempts            INTEGER NOT NULL DEFAULT 0,
                segments            INTEGER NOT NULL,
                price               INTEGER NOT NULL,
                hold_id             INTEGER,
                idempotency_key     TEXT,
                send_at             INTEGER,
                created_at          INTEGER NOT NULL,
                updated_at          INTEGER NOT NULL
            );
            CREATE INDEX messages_tenant ON messages (tenant, seq);
            -- No second message for an Idempotency-Key, ever (not only while its 24 h record lives).
            CREATE UNIQUE INDEX messages_idempotency ON messages (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE TABLE message_events (
                id          INTEGER PRIMARY KEY,
                message_seq INTEGER NOT NULL,
                status      TEXT    NOT NULL,
                detail      TEXT,
                at          INTEGER NOT NULL
            );
            CREATE INDEX message_events_message ON message_events (message_seq, id);
            -- One row per message still to send. `send_after` (its sendAt, or its creation) orders a
            -- conversation and never changes; `due_at` moves with retries.
            CREATE TABLE outbox (
                id           INTEGER PRIMARY KEY,
                message_seq  INTEGER NOT NULL UNIQUE,
                conversation TEXT    NOT NULL,
                send_after   INTEGER NOT NULL,
                due_at       INTEGER NOT NULL,
                lease_owner  TEXT,
                lease_until  INTEGER
            );
            CREATE INDEX outbox_due ON outbox (due_at);
            CREATE INDEX outbox_conversation ON outbox (conversation, send_after, id);
            CREATE TABLE templates (
                id                   INTEGER PRIMARY KEY,
                provider             TEXT    NOT NULL,
                provider_template_id TEXT    NOT NULL,
                name                 TEXT    NOT NULL,
                language             TEXT    NOT NULL,
                channel              TEXT    NOT NULL,
                category             TEXT,
                status               TEXT    NOT NULL,
                variables            TEXT    NOT NULL,
                body                 TEXT,
                removed_at           INTEGER,
                synced_at            INTEGER NOT NULL,
                created_at           INTEGER NOT NULL,
                updated_at           INTEGER NOT NULL,
                UNIQUE (provider, name, language)
            );
            """),
        Migration(version: 311, name: "outbox_traceparent", sql: """
            -- The W3C traceparent of the request that queued the message (NULL: none): the
            -- relay's send, made later by another task, continues that trace.
            ALTER TABLE outbox ADD COLUMN traceparent TEXT;
            """),
    ] + DeliveryInbox.migrations + Suppressions.migrations + DeliveryReconcileJob.migrations + MessageFallbacks.migrations

    /// The same tables on PostgreSQL (`JobRuntime.open(postgres:…)`), the SQLite migrations'
    /// end state written at once: messages with the columns that 332 and 340 add, the outbox with
    /// its traceparent; then (330–340) delivery reports, suppressions and the indexes of
    /// reconciliation and fallbacks. BIGINT for integers (times in milliseconds), identity keys
    /// where the database assigns them, TEXT for text and JSON.
    public static let postgres: [Migration] = [
        Migration(version: 310, name: "messages", sql: """
            CREATE TABLE messages (
                seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id                  TEXT   NOT NULL UNIQUE,
                tenant              TEXT   NOT NULL,
                channel             TEXT   NOT NULL,
                recipient           TEXT   NOT NULL,
                sender              TEXT   NOT NULL,
                subject             TEXT,
                body                TEXT,
                template_id         BIGINT,
                variables           TEXT,
                provider            TEXT   NOT NULL,
                status              TEXT   NOT NULL,
                provider_message_id TEXT,
                error_code          TEXT,
                error_message       TEXT,
                attempts            BIGINT NOT NULL DEFAULT 0,
                segments            BIGINT NOT NULL,
                price               BIGINT NOT NULL,
                hold_id             BIGINT,
                idempotency_key     TEXT,
                send_at             BIGINT,
                created_at          BIGINT NOT NULL,
                updated_at          BIGINT NOT NULL,
                reconciled_at       BIGINT,
                fallback            TEXT,
                fallback_after      BIGINT,
                fallback_due_at     BIGINT,
                previous_id         TEXT,
                next_id             TEXT
            );
            CREATE INDEX messages_tenant ON messages (tenant, seq);
            -- No second message for an Idempotency-Key, ever (not only while its 24 h record lives).
            CREATE UNIQUE INDEX messages_idempotency ON messages (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE TABLE message_events (
                id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                message_seq BIGINT NOT NULL,
                status      TEXT   NOT NULL,
                detail      TEXT,
                at          BIGINT NOT NULL
            );
            CREATE INDEX message_events_message ON message_events (message_seq, id);
            -- One row per message still to send. `send_after` (its sendAt, or its creation) orders a
            -- conversation and never changes; `due_at` moves with retries.
            CREATE TABLE outbox (
                id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                message_seq  BIGINT NOT NULL UNIQUE,
                conversation TEXT   NOT NULL,
                send_after   BIGINT NOT NULL,
                due_at       BIGINT NOT NULL,
                lease_owner  TEXT,
                lease_until  BIGINT,
                traceparent  TEXT
            );
            CREATE INDEX outbox_due ON outbox (due_at);
            CREATE INDEX outbox_conversation ON outbox (conversation, send_after, id);
            CREATE TABLE templates (
                id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                provider             TEXT   NOT NULL,
                provider_template_id TEXT   NOT NULL,
                name                 TEXT   NOT NULL,
                language             TEXT   NOT NULL,
                channel              TEXT   NOT NULL,
                category             TEXT,
                status               TEXT   NOT NULL,
                variables            TEXT   NOT NULL,
                body                 TEXT,
                removed_at           BIGINT,
                synced_at            BIGINT NOT NULL,
                created_at           BIGINT NOT NULL,
                updated_at           BIGINT NOT NULL,
                UNIQUE (provider, name, language)
            );
            """),
        Migration(version: 330, name: "delivery_reports", sql: """
            CREATE TABLE delivery_reports (
                id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                dedupe_key          TEXT   NOT NULL UNIQUE,
                provider            TEXT   NOT NULL,
                message_id          TEXT,
                provider_message_id TEXT   NOT NULL,
                provider_status     TEXT   NOT NULL,
                error_code          TEXT,
                received_at         BIGINT NOT NULL,
                applied_at          BIGINT,
                outcome             TEXT
            );
            CREATE INDEX messages_provider_id ON messages (provider, provider_message_id);
            """),
        Migration(version: 331, name: "suppressions", sql: """
            CREATE TABLE suppressions (
                id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant     TEXT   NOT NULL,
                channel    TEXT   NOT NULL,
                address    TEXT   NOT NULL,
                reason     TEXT   NOT NULL,
                created_at BIGINT NOT NULL,
                UNIQUE (tenant, channel, address)
            );
            -- An inbound STOP finds the tenants that sent to its sender from that number.
            CREATE INDEX messages_recipient ON messages (recipient, sender, channel);
            """),
        Migration(version: 332, name: "messages_reconciled_at", sql: """
            -- Reconciliation finds messages stuck in `sent` (the column is in 310).
            CREATE INDEX messages_status_updated ON messages (status, updated_at);
            """),
        Migration(version: 340, name: "message fallback", sql: """
            -- The fallback columns are in 310.
            CREATE INDEX messages_fallback_due ON messages (fallback_due_at) WHERE fallback_due_at IS NOT NULL;
            """),
    ]
}
