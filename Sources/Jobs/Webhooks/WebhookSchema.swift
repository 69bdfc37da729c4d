public import Runtime

/// The tenant webhook tables (versions 350–359): endpoints, the events raised for them, one
/// delivery per event and endpoint (the durable queue the dispatcher drains, under leases),
/// every attempt (the delivery log), and the low-balance alerts already raised.
public enum WebhookSchema {
    public static let migrations: [Migration] = [
        Migration(version: 350, name: "tenant webhooks", sql: """
            CREATE TABLE webhook_endpoints (
                seq         INTEGER PRIMARY KEY,
                id          TEXT    NOT NULL UNIQUE,
                tenant      TEXT    NOT NULL,
                url         TEXT    NOT NULL,
                events      TEXT    NOT NULL,
                secret      TEXT    NOT NULL,
                description TEXT,
                created_at  INTEGER NOT NULL,
                deleted_at  INTEGER
            );
            CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, seq);
            CREATE TABLE webhook_events (
                seq        INTEGER PRIMARY KEY,
                id         TEXT    NOT NULL UNIQUE,
                tenant     TEXT    NOT NULL,
                type       TEXT    NOT NULL,
                body       TEXT    NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE INDEX webhook_events_created ON webhook_events (created_at);
            CREATE TABLE webhook_deliveries (
                id           INTEGER PRIMARY KEY,
                event_seq    INTEGER NOT NULL,
                endpoint_seq INTEGER NOT NULL,
                state        TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
                attempts     INTEGER NOT NULL DEFAULT 0,
                due_at       INTEGER,
                lease_owner  TEXT,
                lease_until  INTEGER,
                last_status  INTEGER,
                last_error   TEXT,
                created_at   INTEGER NOT NULL,
                finished_at  INTEGER,
                UNIQUE (event_seq, endpoint_seq)
            );
            CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE state = 'pending';
            CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_seq, id);
            CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE state <> 'pending';
            CREATE TABLE webhook_attempts (
                id          INTEGER PRIMARY KEY,
                delivery_id INTEGER NOT NULL,
                at          INTEGER NOT NULL,
                status      INTEGER,
                error       TEXT,
                duration_ms INTEGER NOT NULL
            );
            CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
            CREATE TABLE wallet_alerts (
                tenant TEXT    PRIMARY KEY,
                since  INTEGER NOT NULL
            );
            """),
        Migration(version: 351, name: "webhook events' trace", sql: """
            -- The W3C traceparent of the change that raised the event (NULL: none): its
            -- deliveries, made later by the dispatcher, carry that trace to the receiver.
            ALTER TABLE webhook_events ADD COLUMN traceparent TEXT;
            """),
    ]

    /// The same tables on PostgreSQL (`JobRuntime.open(postgres:…)`), 350 and 351 at once:
    /// BIGINT integers (times in milliseconds, HTTP status codes), identity keys, TEXT bodies.
    public static let postgres: [Migration] = [
        Migration(version: 350, name: "tenant webhooks", sql: """
            CREATE TABLE webhook_endpoints (
                seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id          TEXT   NOT NULL UNIQUE,
                tenant      TEXT   NOT NULL,
                url         TEXT   NOT NULL,
                events      TEXT   NOT NULL,
                secret      TEXT   NOT NULL,
                description TEXT,
                created_at  BIGINT NOT NULL,
                deleted_at  BIGINT
            );
            CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, seq);
            CREATE TABLE webhook_events (
                seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id          TEXT   NOT NULL UNIQUE,
                tenant      TEXT   NOT NULL,
                type        TEXT   NOT NULL,
                body        TEXT   NOT NULL,
                created_at  BIGINT NOT NULL,
                -- The W3C traceparent of the change that raised the event (NULL: none).
                traceparent TEXT
            );
            CREATE INDEX webhook_events_created ON webhook_events (created_at);
            CREATE TABLE webhook_deliveries (
                id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                event_seq    BIGINT NOT NULL,
                endpoint_seq BIGINT NOT NULL,
                state        TEXT   NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
                attempts     BIGINT NOT NULL DEFAULT 0,
                due_at       BIGINT,
                lease_owner  TEXT,
                lease_until  BIGINT,
                last_status  BIGINT,
                last_error   TEXT,
                created_at   BIGINT NOT NULL,
                finished_at  BIGINT,
                UNIQUE (event_seq, endpoint_seq)
            );
            CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE state = 'pending';
            CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_seq, id);
            CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE state <> 'pending';
            CREATE TABLE webhook_attempts (
                id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                delivery_id BIGINT NOT NULL,
                at          BIGINT NOT NULL,
                status      BIGINT,
                error       TEXT,
                duration_ms BIGINT NOT NULL
            );
            CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
            CREATE TABLE wallet_alerts (
                tenant TEXT   PRIMARY KEY,
                since  BIGINT NOT NULL
            );
            """),
    ]
}
