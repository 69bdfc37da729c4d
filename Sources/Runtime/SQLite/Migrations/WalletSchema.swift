/// The wallets' tables (versions 102 and 105). The CHECK constraints repeat the in-memory rules in the
/// database, so even a bug above it cannot commit a negative balance.
public enum WalletSchema {
    public static let migrations: [Migration] = [
        Migration(version: 102, name: "wallets", sql: """
            CREATE TABLE wallets (
                id         INTEGER PRIMARY KEY,
                tenant     TEXT    NOT NULL,
                owner      TEXT    NOT NULL,
                balance    INTEGER NOT NULL DEFAULT 0,
                reserved   INTEGER NOT NULL DEFAULT 0,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                -- The newest ledger line: the head of the wallet's chain of lines.
                last_entry_id INTEGER,
                UNIQUE (tenant, owner),
                CHECK (reserved >= 0 AND balance >= reserved)
            );
            CREATE TABLE wallet_ledger (
                id             INTEGER PRIMARY KEY,
                wallet_id      INTEGER NOT NULL REFERENCES wallets (id),
                kind           TEXT    NOT NULL CHECK (kind IN ('credit', 'reserve', 'settle', 'release', 'refund', 'adjustment')),
                amount         INTEGER NOT NULL,
                balance_delta  INTEGER NOT NULL,
                reserved_delta INTEGER NOT NULL,
                reservation_id INTEGER,
                reference      TEXT,
                detail         TEXT,
                created_at     INTEGER NOT NULL,
                -- The wallet's line before this one. A wallet's ledger is read newest first by
                -- following this chain from wallets.last_entry_id, so the ledger needs no
                -- per-wallet index: every insert appends, instead of dirtying a page per wallet
                -- in each group commit.
                previous_id    INTEGER
            );
            -- Credits, refunds and adjustments are idempotent by reference.
            CREATE UNIQUE INDEX wallet_ledger_reference ON wallet_ledger (wallet_id, kind, reference)
                WHERE kind IN ('credit', 'refund', 'adjustment') AND reference IS NOT NULL;
            CREATE TABLE wallet_reservations (
                id         INTEGER PRIMARY KEY,
                wallet_id  INTEGER NOT NULL REFERENCES wallets (id),
                reference  TEXT    NOT NULL,
                job_id     INTEGER,
                amount     INTEGER NOT NULL CHECK (amount > 0),
                state      TEXT    NOT NULL CHECK (state IN ('held', 'settled', 'released')),
                charged    INTEGER NOT NULL DEFAULT 0,
                uncharged  INTEGER NOT NULL DEFAULT 0,
                refunded   INTEGER NOT NULL DEFAULT 0 CHECK (refunded <= charged),
                created_at INTEGER NOT NULL,
                closed_at  INTEGER
            );
            -- Reserving again with a reference finds its reservation. Keyed by reference alone
            -- (job ids and request ids grow over time) so inserts append instead of dirtying a
            -- page per wallet in every group commit.
            CREATE INDEX wallet_reservations_reference ON wallet_reservations (reference);
            -- Reservations still held (few: operations in flight), by id for the same reason:
            -- loaded with their wallet, reconciled at start.
            CREATE INDEX wallet_reservations_held ON wallet_reservations (id) WHERE state = 'held';
            """),
        // Partial charges on a held reservation (a batch draws on its hold item by item). SQLite
        // cannot change a CHECK constraint in place, so the ledger is rebuilt with the new kind.
        Migration(version: 105, name: "wallet_charges", sql: """
            CREATE TABLE wallet_ledger_new (
                id             INTEGER PRIMARY KEY,
                wallet_id      INTEGER NOT NULL REFERENCES wallets (id),
                kind           TEXT    NOT NULL
                               CHECK (kind IN ('credit', 'reserve', 'settle', 'release', 'refund', 'adjustment', 'charge')),
                amount         INTEGER NOT NULL,
                balance_delta  INTEGER NOT NULL,
                reserved_delta INTEGER NOT NULL,
                reservation_id INTEGER,
                reference      TEXT,
                detail         TEXT,
                created_at     INTEGER NOT NULL,
                previous_id    INTEGER
            );
            INSERT INTO wallet_ledger_new SELECT id, wallet_id, kind, amount, balance_delta, reserved_delta, reservation_id,
                                                 reference, detail, created_at, previous_id FROM wallet_ledger;
            DROP TABLE wallet_ledger;
            ALTER TABLE wallet_ledger_new RENAME TO wallet_ledger;
            CREATE UNIQUE INDEX wallet_ledger_reference ON wallet_ledger (wallet_id, kind, reference)
                WHERE kind IN ('credit', 'refund', 'adjustment') AND reference IS NOT NULL;
            -- A charge on a reservation is idempotent by its reference (a batch item's job).
            CREATE UNIQUE INDEX wallet_ledger_charge ON wallet_ledger (reservation_id, reference) WHERE kind = 'charge';
            """),
    ]
}
