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

    /// The same tables on PostgreSQL (`JobRuntime.open(postgres:…)`).
    public static let postgres: [Migration] = []
}
