/// The idempotency table (version 103): one row per (tenant, key).
///
/// `expires_at` is when the row stops holding its key: the lease's end while in flight, the
/// TTL's end once completed. A row with `expires_at <= now` is free for the next `begin` and
/// is deleted by `purgeExpired`.
///
/// Rows live in a rowid table in creation order, found through the unique (tenant, key)
/// index, rather than in a WITHOUT ROWID table clustered on (tenant, key): keys are random,
/// so there a `complete` dirties a random leaf page (the one its `begin` dirtied a commit
/// earlier), while here it rewrites a row among the newest, on pages that the other requests
/// of the moment share; a pair writes about a quarter as many WAL pages and runs about twice
/// as fast. There is no index on `expires_at` (it would cost every write 10–20 % more): the
/// purge scans the oldest rows by id, which are the expired ones (`begin` inserts a taken-over
/// key anew to keep that order).
public enum IdempotencySchema {
    public static let migrations: [Migration] = [
        Migration(version: 103, name: "idempotency_keys", sql: """
            CREATE TABLE idempotency_keys (
                id           INTEGER PRIMARY KEY,
                tenant       TEXT    NOT NULL,
                key          TEXT    NOT NULL,
                fingerprint  BLOB    NOT NULL,
                state        TEXT    NOT NULL CHECK (state IN ('in_flight', 'completed')),
                lease_owner  TEXT,
                created_at   INTEGER NOT NULL,
                expires_at   INTEGER NOT NULL,
                completed_at INTEGER,
                -- The stored response, last: a large body may spill onto overflow pages.
                status       INTEGER,
                headers      TEXT,
                body         BLOB,
                UNIQUE (tenant, key)
            );
            """),
    ]
}
