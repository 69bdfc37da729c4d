import Foundation

/// The wallets' SQL: small functions that run inside a store body (the writer's transaction or
/// a reader's snapshot). Every change to a wallet goes through `post`, which appends the ledger
/// line and applies the same deltas to the wallet row in one go.
enum WalletRecords {
    struct LoadedWallet: Sendable {
        var id: Int64
        var balance: Int64
        var reserved: Int64
        var held: [Reservation]
    }

    static func load(_ key: WalletKey, _ db: SQLiteConnection) throws -> LoadedWallet? {
        let find = try db.statement("SELECT id, balance, reserved FROM wallets WHERE tenant = ? AND owner = ?")
        find.bind(1, key.tenant)
        find.bind(2, key.owner)
        guard try find.step() else { return nil }
        var wallet = LoadedWallet(id: find.int64(0), balance: find.int64(1), reserved: find.int64(2), held: [])
        find.reset()
        let held = try db.statement("SELECT \(reservationColumns) FROM wallet_reservations WHERE state = 'held' AND wallet_id = ?")
        held.bind(1, wallet.id)
        while try held.step() { wallet.held.append(reservation(held, key)) }
        return wallet
    }

    /// The wallet's id, creating the wallet (empty) if it does not exist.
    static func create(_ key: WalletKey, now: Int64, _ db: SQLiteConnection) throws -> Int64 {
        let insert = try db.statement("""
            INSERT INTO wallets (tenant, owner, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
            ON CONFLICT (tenant, owner) DO UPDATE SET updated_at = updated_at RETURNING id
            """)
        insert.bind(1, key.tenant)
        insert.bind(2, key.owner)
        insert.bind(3, now)
        guard try insert.step() else { throw StoreError(kind: .other, message: "creating a wallet returned no id") }
        return insert.int64(0)
    }

    struct Posting {
        var walletID: Int64
        var kind: LedgerEntry.Kind
        var amount: Int64
        var balanceDelta: Int64 = 0
        var reservedDelta: Int64 = 0
        var reservationID: Int64? = nil
        var reference: String? = nil
        var detail: String? = nil
    }

    /// Appends a ledger line and applies its deltas to the wallet. Returns nil, changing
    /// nothing, when a credit, refund or adjustment with the same reference is already posted.
    @discardableResult
    static func post(_ posting: Posting, now: Int64, _ db: SQLiteConnection) throws -> Int64? {
        let insert = try db.statement("""
            INSERT INTO wallet_ledger (wallet_id, kind, amount, balance_delta, reserved_delta, reservation_id, reference, detail,
                                       created_at, previous_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, (SELECT last_entry_id FROM wallets WHERE id = ?1)) ON CONFLICT DO NOTHING
            """)
        insert.bind(1, posting.walletID)
        insert.bind(2, posting.kind.rawValue)
        insert.bind(3, posting.amount)
        insert.bind(4, posting.balanceDelta)
        insert.bind(5, posting.reservedDelta)
        insert.bind(6, posting.reservationID)
        insert.bind(7, posting.reference)
        insert.bind(8, posting.detail)
        insert.bind(9, now)
        try insert.run()
        guard db.changes == 1 else { return nil }
        let id = db.lastInsertRowID
        let apply = try db.statement("""
            UPDATE wallets SET balance = balance + ?, reserved = reserved + ?, updated_at = ?, last_entry_id = ? WHERE id = ?
            """)
        apply.bind(1, posting.balanceDelta)
        apply.bind(2, posting.reservedDelta)
        apply.bind(3, now)
        apply.bind(4, id)
        apply.bind(5, posting.walletID)
        try apply.run()
        return id
    }

    /// The settled reservation made with `reference`, if any (a held one is in memory).
    static func settled(reference: String, walletID: Int64, key: WalletKey, _ db: SQLiteConnection) throws -> Reservation? {
        let find = try db.statement("""
            SELECT \(reservationColumns) FROM wallet_reservations
            WHERE reference = ?2 AND wallet_id = ?1 AND state = 'settled' ORDER BY id DESC LIMIT 1
            """)
        find.bind(1, walletID)
        find.bind(2, reference)
        return try find.step() ? reservation(find, key) : nil
    }

    static func insertReservation(walletID: Int64, reference: String, jobID: JobID?, amount: Int64, now: Int64,
                                  _ db: SQLiteConnection) throws -> Int64 {
        let insert = try db.statement("""
            INSERT INTO wallet_reservations (wallet_id, reference, job_id, amount, state, created_at)
            VALUES (?, ?, ?, ?, 'held', ?)
            """)
        insert.bind(1, walletID)
        insert.bind(2, reference)
        insert.bind(3, jobID?.rawValue)
        insert.bind(4, amount)
        insert.bind(5, now)
        try insert.run()
        return db.lastInsertRowID
    }

    /// Marks a held reservation settled or released, adding `charging` to what it charged;
    /// false if it was not held.
    static func close(_ id: Int64, as state: Reservation.State, charging charged: Int64, uncharged: Int64, now: Int64,
                      _ db: SQLiteConnection) throws -> Bool {
        let update = try db.statement("""
            UPDATE wallet_reservations SET state = ?, charged = charged + ?, uncharged = uncharged + ?, closed_at = ?
            WHERE id = ? AND state = 'held'
            """)
        update.bind(1, state.rawValue)
        update.bind(2, charged)
        update.bind(3, uncharged)
        update.bind(4, now)
        update.bind(5, id)
        try update.run()
        return db.changes == 1
    }

    /// Adds a charge to a held reservation (its ledger line is posted by the caller).
    static func addCharge(_ charged: Int64, uncharged: Int64, to id: Int64, _ db: SQLiteConnection) throws {
        let update = try db.statement("""
            UPDATE wallet_reservations SET charged = charged + ?, uncharged = uncharged + ?
            WHERE id = ? AND state = 'held' AND charged + ? BETWEEN 0 AND amount
            """)
        update.bind(1, charged)
        update.bind(2, uncharged)
        update.bind(3, id)
        update.bind(4, charged)
        try update.run()
        guard db.changes == 1 else { throw WalletError(.notFound, "reservation \(id) is not held or cannot cover the charge") }
    }

    /// What the charge with this reference took from the reservation, if it was made (its
    /// void, if any, is a separate line with the reference `void:<reference>`).
    static func charge(reservationID: Int64, reference: String, walletID: Int64, _ db: SQLiteConnection) throws -> Int64? {
        let find = try db.statement("""
            SELECT amount FROM wallet_ledger WHERE reservation_id = ? AND reference = ? AND kind = 'charge' AND wallet_id = ?
            """)
        find.bind(1, reservationID)
        find.bind(2, reference)
        find.bind(3, walletID)
        return try find.step() ? find.int64(0) : nil
    }

    static func reservation(id: Int64, key: WalletKey, _ db: SQLiteConnection) throws -> Reservation? {
        let find = try db.statement("SELECT \(reservationColumns) FROM wallet_reservations WHERE id = ?")
        find.bind(1, id)
        return try find.step() ? reservation(find, key) : nil
    }

    static let reservationColumns = "id, wallet_id, reference, job_id, amount, state, charged, uncharged"

    static func reservation(_ row: SQLiteStatement, _ key: WalletKey) -> Reservation {
        Reservation(id: row.int64(0), wallet: key, walletID: row.int64(1), reference: row.string(2) ?? "",
                    jobID: row.optionalInt64(3).map(JobID.init(rawValue:)), amount: MicroUSD(row.int64(4)),
                    state: Reservation.State(rawValue: row.string(5) ?? "") ?? .held,
                    charged: MicroUSD(row.int64(6)), uncharged: MicroUSD(row.int64(7)))
    }

    static func entry(_ row: SQLiteStatement) -> LedgerEntry {
        LedgerEntry(id: row.int64(0), walletID: row.int64(1), kind: LedgerEntry.Kind(rawValue: row.string(2) ?? "") ?? .adjustment,
                    amount: MicroUSD(row.int64(3)), balanceDelta: MicroUSD(row.int64(4)), reservedDelta: MicroUSD(row.int64(5)),
                    reservationID: row.optionalInt64(6), reference: row.string(7), detail: row.string(8),
                    createdAt: Date(millisecondsSince1970: row.int64(9)))
    }

    static let entryColumns = "id, wallet_id, kind, amount, balance_delta, reserved_delta, reservation_id, reference, detail, created_at"
}
