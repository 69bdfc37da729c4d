import Foundation

/// The ledger, in SQL both backends speak. Each change first locks its wallet's row (on
/// PostgreSQL `FOR UPDATE`; SQLite's one writer serialises every write transaction anyway), so
/// what it reads is what it changes even with several instances on one database; the
/// conditional `UPDATE` on the wallet is the database's own guard as well, and the tables'
/// CHECK constraints a third.
struct SQLLedger: LedgerRepository {
    private static let reservationColumns = "r.id, r.wallet_id, r.reference, r.job_id, r.amount, r.state, r.charged, r.uncharged"
    private static let entryColumns = "id, wallet_id, kind, amount, balance_delta, reserved_delta, reservation_id, reference, detail, created_at, previous_id"

    // MARK: Reading

    func wallet(_ key: WalletKey, in tx: Transaction) throws -> WalletBalance? {
        try tx.first("SELECT id, balance, reserved FROM wallets WHERE tenant = \(key.tenant) AND owner = \(key.owner)") { row in
            WalletBalance(id: row["id"], key: key, balance: MicroUSD(row["balance"] as Int64), reserved: MicroUSD(row["reserved"] as Int64))
        }
    }

    func wallets(of tenant: String, in tx: Transaction) throws -> [WalletBalance] {
        try tx.all("""
            SELECT id, owner, balance, reserved FROM wallets WHERE tenant = \(tenant) ORDER BY owner = 'team' DESC, owner
            """) { row -> WalletBalance? in
            guard let key = try? WalletKey(tenant: tenant, parsing: row["owner"] as String) else { return nil }
            return WalletBalance(id: row["id"], key: key, balance: MicroUSD(row["balance"] as Int64), reserved: MicroUSD(row["reserved"] as Int64))
        }.compactMap { $0 }
    }

    /// The wallet, its row locked until the transaction ends: every change starts here.
    private func lockedWallet(_ key: WalletKey, in tx: Transaction) throws -> WalletBalance? {
        try tx.first("""
            SELECT id, balance, reserved FROM wallets WHERE tenant = \(key.tenant) AND owner = \(key.owner)\(raw: tx.dialect.forUpdate)
            """) { row in
            WalletBalance(id: row["id"], key: key, balance: MicroUSD(row["balance"] as Int64), reserved: MicroUSD(row["reserved"] as Int64))
        }
    }

    func heldReservation(reference: String, on key: WalletKey, in tx: Transaction) throws -> Reservation? {
        try tx.first("""
            SELECT \(raw: Self.reservationColumns) FROM wallet_reservations r JOIN wallets w ON w.id = r.wallet_id
            WHERE r.reference = \(reference) AND r.state = 'held' AND w.tenant = \(key.tenant) AND w.owner = \(key.owner)
            ORDER BY r.id DESC LIMIT 1
            """) { Self.reservation($0, key) }
    }

    func reservation(_ id: Int64, on key: WalletKey, in tx: Transaction) throws -> Reservation? {
        try tx.first("""
            SELECT \(raw: Self.reservationColumns) FROM wallet_reservations r JOIN wallets w ON w.id = r.wallet_id
            WHERE r.id = \(id) AND w.tenant = \(key.tenant) AND w.owner = \(key.owner)
            """) { Self.reservation($0, key) }
    }

    func heldReservations(prefix: String, in tx: Transaction) throws -> [Reservation] {
        try tx.all("""
            SELECT \(raw: Self.reservationColumns), w.tenant, w.owner FROM wallet_reservations r JOIN wallets w ON w.id = r.wallet_id
            WHERE r.state = 'held' AND substr(r.reference, 1, length(\(prefix))) = \(prefix)
            """) { row -> Reservation? in
            guard let key = try? WalletKey(tenant: row["tenant"] as String, parsing: row["owner"] as String) else { return nil }
            return Self.reservation(row, key)
        }.compactMap { $0 }
    }

    func heldTotals(in tx: Transaction) throws -> (count: Int, amount: MicroUSD) {
        try tx.first("SELECT count(*) AS n, coalesce(sum(amount - charged), 0) AS held FROM wallet_reservations WHERE state = 'held'") {
            (count: $0["n"] as Int, amount: MicroUSD($0["held"] as Int64))
        } ?? (0, .zero)
    }

    func ledger(walletID: Int64, tenant: String, before: Int64?, limit: Int, in tx: Transaction) throws -> [LedgerEntry]? {
        guard let head = try tx.first("SELECT last_entry_id FROM wallets WHERE id = \(walletID) AND tenant = \(tenant)", {
            $0["last_entry_id"] as Int64?
        }) else { return nil }
        // Follow the wallet's chain of lines, newest first, from the head or past the cursor.
        var next = head
        if let before {
            guard let previous = try tx.first("SELECT previous_id FROM wallet_ledger WHERE id = \(before) AND wallet_id = \(walletID)", {
                $0["previous_id"] as Int64?
            }) else { return [] }
            next = previous
        }
        var entries: [LedgerEntry] = []
        while let id = next, entries.count < limit {
            guard let (entry, previous) = try tx.first("""
                SELECT \(raw: Self.entryColumns) FROM wallet_ledger WHERE id = \(id) AND wallet_id = \(walletID)
                """, { (Self.entry($0), $0["previous_id"] as Int64?) }) else { break }
            entries.append(entry)
            next = previous
        }
        return entries
    }

    // MARK: Reserving and closing

    func reserve(_ amount: MicroUSD, on key: WalletKey, reference: String, jobID: JobID?, now: Date, in tx: Transaction) throws
        -> Reservation {
        guard let wallet = try lockedWallet(key, in: tx) else {
            throw WalletError(.insufficientCredits, "wallet \(key.owner) has no credit (available 0.00 USD, needed \(amount) USD)")
        }
        // The same reference again (a rerun, a retry) is the reservation made before; a settled
        // one means its operation is done and is not reserved again.
        if let existing = try tx.first("""
            SELECT \(raw: Self.reservationColumns) FROM wallet_reservations r
            WHERE r.reference = \(reference) AND r.wallet_id = \(wallet.id) AND r.state IN ('held', 'settled') ORDER BY r.id DESC LIMIT 1
            """, { Self.reservation($0, key) }) {
            return existing
        }
        guard amount <= wallet.available else {
            throw WalletError(.insufficientCredits, "wallet \(key.owner) has \(wallet.available) USD available, needed \(amount) USD")
        }
        let at = now.millisecondsSince1970
        let id = try tx.insertReturningID("""
            INSERT INTO wallet_reservations (wallet_id, reference, job_id, amount, state, created_at)
            VALUES (\(wallet.id), \(reference), \(jobID?.rawValue), \(amount.value), 'held', \(at))
            """)
        try append(Line(walletID: wallet.id, kind: .reserve, amount: amount.value, reservedDelta: amount.value, reservationID: id,
                        reference: reference), key: key, now: at, in: tx)
        return Reservation(id: id, wallet: key, walletID: wallet.id, reference: reference, jobID: jobID, amount: amount, state: .held,
                           charged: .zero, uncharged: .zero)
    }

    func close(_ reservation: Reservation, charging cost: MicroUSD?, now: Date, in tx: Transaction) throws -> Reservation {
        let key = reservation.wallet
        _ = try lockedWallet(key, in: tx)
        guard let held = try self.reservation(reservation.id, on: key, in: tx) else {
            throw WalletError(.notFound, "no reservation \(reservation.id) on wallet \(key.owner)")
        }
        guard held.state == .held else { return held }
        let holding = held.amount.value - held.charged.value
        let charge = cost?.value ?? 0
        let charged = min(charge, holding), uncharged = max(0, charge - holding)
        let state: Reservation.State = cost == nil && held.charged == .zero ? .released : .settled
        let at = now.millisecondsSince1970
        guard try tx.run("""
            UPDATE wallet_reservations SET state = \(state.rawValue), charged = charged + \(charged), uncharged = uncharged + \(uncharged),
                                           closed_at = \(at)
            WHERE id = \(held.id) AND state = 'held'
            """) == 1 else { return held }
        let line = cost != nil
            ? Line(walletID: held.walletID, kind: .settle, amount: charged, balanceDelta: -charged, reservedDelta: -holding,
                   reservationID: held.id, reference: held.reference,
                   detail: uncharged > 0 ? "cost above the reservation not charged: \(MicroUSD(uncharged)) USD" : nil)
            : Line(walletID: held.walletID, kind: .release, amount: holding, reservedDelta: -holding, reservationID: held.id,
                   reference: held.reference)
        try append(line, key: key, now: at, in: tx)
        return Reservation(id: held.id, wallet: key, walletID: held.walletID, reference: held.reference, jobID: held.jobID,
                           amount: held.amount, state: state, charged: held.charged + MicroUSD(charged),
                           uncharged: held.uncharged + MicroUSD(uncharged))
    }

    // MARK: Charging part of a hold

    func charge(_ amount: MicroUSD, againstReservation id: Int64, on key: WalletKey, reference: String, now: Date,
                in tx: Transaction) throws -> MicroUSD {
        _ = try lockedWallet(key, in: tx)
        if let made = try madeCharge(id, reference: reference, in: tx) { return MicroUSD(made) }
        guard let held = try reservation(id, on: key, in: tx), held.state == .held else {
            throw WalletError(.notFound, "reservation \(id) on wallet \(key.owner) is not held any more")
        }
        let charged = min(amount.value, max(0, held.amount.value - held.charged.value))
        let uncharged = amount.value - charged
        try addCharge(charged, uncharged: uncharged, to: id, in: tx)
        try append(Line(walletID: held.walletID, kind: .charge, amount: charged, balanceDelta: -charged, reservedDelta: -charged,
                        reservationID: id, reference: reference,
                        detail: uncharged > 0 ? "cost above the reservation not charged: \(MicroUSD(uncharged)) USD" : nil),
                   key: key, now: now.millisecondsSince1970, in: tx)
        return MicroUSD(charged)
    }

    func voidCharge(againstReservation id: Int64, on key: WalletKey, reference: String, now: Date, in tx: Transaction) throws
        -> MicroUSD {
        _ = try lockedWallet(key, in: tx)
        guard let made = try madeCharge(id, reference: reference, in: tx), made > 0 else { return .zero }
        let voidReference = "void:" + reference
        if try madeCharge(id, reference: voidReference, in: tx) != nil { return .zero }
        guard let held = try reservation(id, on: key, in: tx), held.state == .held else {
            throw WalletError(.notFound, "reservation \(id) on wallet \(key.owner) is not held any more")
        }
        try addCharge(-made, uncharged: 0, to: id, in: tx)
        try append(Line(walletID: held.walletID, kind: .charge, amount: -made, balanceDelta: made, reservedDelta: made, reservationID: id,
                        reference: voidReference, detail: "charge \(reference) voided: its operation failed"),
                   key: key, now: now.millisecondsSince1970, in: tx)
        return MicroUSD(made)
    }

    /// What the charge with this reference took from the reservation, if it was made.
    private func madeCharge(_ id: Int64, reference: String, in tx: Transaction) throws -> Int64? {
        try tx.first("SELECT amount FROM wallet_ledger WHERE reservation_id = \(id) AND reference = \(reference) AND kind = 'charge'") {
            $0["amount"] as Int64
        }
    }

    private func addCharge(_ charged: Int64, uncharged: Int64, to id: Int64, in tx: Transaction) throws {
        guard try tx.run("""
            UPDATE wallet_reservations SET charged = charged + \(charged), uncharged = uncharged + \(uncharged)
            WHERE id = \(id) AND state = 'held' AND charged + \(charged) BETWEEN 0 AND amount
            """) == 1 else { throw WalletError(.notFound, "reservation \(id) is not held or cannot cover the charge") }
    }

    // MARK: Credits, refunds and adjustments

    func post(_ kind: LedgerEntry.Kind, _ delta: MicroUSD, on key: WalletKey, reference: String?, detail: String?,
              refundOf reservationID: Int64?, now: Date, in tx: Transaction) throws -> (balance: WalletBalance, applied: Bool) {
        let at = now.millisecondsSince1970
        var found = try lockedWallet(key, in: tx)
        if found == nil, delta.value > 0 {
            // Two first credits at once: the second waits on the first's row and then finds it.
            try tx.run("""
                INSERT INTO wallets (tenant, owner, created_at, updated_at) VALUES (\(key.tenant), \(key.owner), \(at), \(at))
                ON CONFLICT (tenant, owner) DO NOTHING
                """)
            found = try lockedWallet(key, in: tx)
        }
        guard let wallet = found else {
            throw WalletError(.insufficientCredits, "wallet \(key.owner) has no credit (available 0.00 USD)")
        }
        if let reference, try tx.first("""
            SELECT 1 AS found FROM wallet_ledger WHERE wallet_id = \(wallet.id) AND kind = \(kind.rawValue) AND reference = \(reference)
            """, { $0["found"] as Int }) != nil {
            return (wallet, false)
        }
        if delta.value < 0, MicroUSD(-delta.value) > wallet.available {
            throw WalletError(.insufficientCredits,
                              "wallet \(key.owner) has \(wallet.available) USD available, cannot take \(MicroUSD(-delta.value)) USD")
        }
        if delta.value > 0, wallet.balance.value > MicroUSD.maximum.value - delta.value {
            throw WalletError(.invalidRequest, "a wallet cannot hold more than \(MicroUSD.maximum) USD")
        }
        if let reservationID {
            guard try tx.run("""
                UPDATE wallet_reservations SET refunded = refunded + \(delta.value)
                WHERE id = \(reservationID) AND wallet_id = \(wallet.id) AND state = 'settled' AND refunded + \(delta.value) <= charged
                """) == 1 else {
                throw WalletError(.invalidRequest, "refunds of reservation \(reservationID) cannot exceed what it charged")
            }
        }
        try append(Line(walletID: wallet.id, kind: kind, amount: delta.value, balanceDelta: delta.value, reservationID: reservationID,
                        reference: reference, detail: detail), key: key, now: at, in: tx)
        return (WalletBalance(id: wallet.id, key: key, balance: wallet.balance + delta, reserved: wallet.reserved), true)
    }

    // MARK: Audit

    func audit(in tx: Transaction) throws -> [String] {
        var problems: [String] = []
        try tx.forEach("""
            WITH sums AS (SELECT wallet_id, SUM(balance_delta) AS balance, SUM(reserved_delta) AS reserved
                          FROM wallet_ledger GROUP BY wallet_id),
                 held AS (SELECT wallet_id, SUM(amount - charged) AS amount FROM wallet_reservations WHERE state = 'held'
                          GROUP BY wallet_id)
            SELECT w.id, w.tenant, w.owner, w.balance, w.reserved, COALESCE(s.balance, 0) AS ledger_balance,
                   COALESCE(s.reserved, 0) AS ledger_reserved, COALESCE(h.amount, 0) AS held
            FROM wallets w LEFT JOIN sums s ON s.wallet_id = w.id LEFT JOIN held h ON h.wallet_id = w.id
            """) { row in
            let name = "wallet \(row["id"] as Int64) (\(row["tenant"] as String)/\(row["owner"] as String))"
            let balance: Int64 = row["balance"], reserved: Int64 = row["reserved"]
            let ledgerBalance: Int64 = row["ledger_balance"], ledgerReserved: Int64 = row["ledger_reserved"], held: Int64 = row["held"]
            if balance != ledgerBalance { problems.append("\(name): balance \(balance) but its ledger sums to \(ledgerBalance)") }
            if reserved != ledgerReserved { problems.append("\(name): reserved \(reserved) but its ledger sums to \(ledgerReserved)") }
            if reserved != held { problems.append("\(name): reserved \(reserved) but its held reservations sum to \(held)") }
            if balance < reserved || reserved < 0 { problems.append("\(name): balance \(balance) below reserved \(reserved)") }
        }
        try tx.forEach("""
            SELECT reservation_id, COUNT(*) AS n FROM wallet_ledger WHERE kind IN ('settle', 'release')
            GROUP BY reservation_id HAVING COUNT(*) > 1
            """) { row in
            problems.append("reservation \(row["reservation_id"] as Int64) was settled or released \(row["n"] as Int64) times")
        }
        return problems
    }

    // MARK: Lines

    private struct Line {
        var walletID: Int64
        var kind: LedgerEntry.Kind
        var amount: Int64
        var balanceDelta: Int64 = 0
        var reservedDelta: Int64 = 0
        var reservationID: Int64? = nil
        var reference: String? = nil
        var detail: String? = nil
    }

    /// Appends the line to the wallet's chain and applies its deltas, only if the wallet's
    /// figures stay valid: the database refuses a balance below what is reserved.
    private func append(_ line: Line, key: WalletKey, now: Int64, in tx: Transaction) throws {
        let id = try tx.insertReturningID("""
            INSERT INTO wallet_ledger (wallet_id, kind, amount, balance_delta, reserved_delta, reservation_id, reference, detail,
                                       created_at, previous_id)
            VALUES (\(line.walletID), \(line.kind.rawValue), \(line.amount), \(line.balanceDelta), \(line.reservedDelta),
                    \(line.reservationID), \(line.reference), \(line.detail), \(now),
                    (SELECT last_entry_id FROM wallets WHERE id = \(line.walletID)))
            """)
        guard try tx.run("""
            UPDATE wallets SET balance = balance + \(line.balanceDelta), reserved = reserved + \(line.reservedDelta),
                               updated_at = \(now), last_entry_id = \(id)
            WHERE id = \(line.walletID) AND reserved + \(line.reservedDelta) >= 0
              AND balance + \(line.balanceDelta) >= reserved + \(line.reservedDelta)
            """) == 1 else {
            throw WalletError(.insufficientCredits, "wallet \(key.owner) cannot cover \(MicroUSD(line.amount)) USD")
        }
    }

    // MARK: Rows

    private static func reservation(_ row: borrowing SQLRow, _ key: WalletKey) -> Reservation {
        Reservation(id: row["id"], wallet: key, walletID: row["wallet_id"], reference: row["reference"],
                    jobID: (row["job_id"] as Int64?).map(JobID.init(rawValue:)), amount: MicroUSD(row["amount"] as Int64),
                    state: Reservation.State(rawValue: row["state"] as String) ?? .held,
                    charged: MicroUSD(row["charged"] as Int64), uncharged: MicroUSD(row["uncharged"] as Int64))
    }

    private static func entry(_ row: borrowing SQLRow) -> LedgerEntry {
        LedgerEntry(id: row["id"], walletID: row["wallet_id"], kind: LedgerEntry.Kind(rawValue: row["kind"] as String) ?? .adjustment,
                    amount: MicroUSD(row["amount"] as Int64), balanceDelta: MicroUSD(row["balance_delta"] as Int64),
                    reservedDelta: MicroUSD(row["reserved_delta"] as Int64), reservationID: row["reservation_id"],
                    reference: row["reference"], detail: row["detail"],
                    createdAt: Date(millisecondsSince1970: row["created_at"] as Int64))
    }
}
