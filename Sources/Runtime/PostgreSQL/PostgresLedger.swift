import Foundation

/// The ledger on PostgreSQL: `SQLLedger`'s statements, except for the two changes every
/// completion and every message makes. Reserving and closing a reservation each run as one
/// call to a function the schema installs (`wallet_reserve`, `wallet_close`, migration 105),
/// so a wallet's row stays locked for that call and the commit, not for six statements and
/// their round trips: on a busy wallet the lock is what every reservation queues on.
struct PostgresLedger: LedgerRepository {
    private let statements = SQLLedger()

    func reserve(_ amount: MicroUSD, on key: WalletKey, reference: String, jobID: JobID?, now: Date, in tx: Transaction) throws
        -> Reservation {
        let answer = try tx.first("""
            SELECT * FROM wallet_reserve(\(key.tenant), \(key.owner), \(amount.value), \(reference), \(jobID?.rawValue),
                                         \(now.millisecondsSince1970))
            """) { row in (outcome: row["outcome"] as String, available: MicroUSD(row["available"] as Int64),
                           reservation: Self.reservation(row, key, reference: reference)) }
        switch answer?.outcome {
        case "held"?, "existing"?:
            if let reservation = answer?.reservation { return reservation }
        case "insufficient"?:
            throw WalletError(.insufficientCredits, "wallet \(key.owner) has \(answer?.available ?? .zero) USD available, needed \(amount) USD")
        default:
            break
        }
        throw WalletError(.insufficientCredits, "wallet \(key.owner) has no credit (available 0.00 USD, needed \(amount) USD)")
    }

    func close(_ reservation: Reservation, charging cost: MicroUSD?, now: Date, in tx: Transaction) throws -> Reservation {
        try close(reservation, charging: cost, now: now, readingBalance: false, in: tx).reservation
    }

    func closeReadingBalance(_ reservation: Reservation, charging cost: MicroUSD?, now: Date, in tx: Transaction) throws
        -> (reservation: Reservation, balance: MicroUSD?) {
        try close(reservation, charging: cost, now: now, readingBalance: true, in: tx)
    }

    /// One call to `wallet_close`, or to `wallet_close_reading_balance` (migration 106), which
    /// also answers the balance under the lock `wallet_close` took.
    private func close(_ reservation: Reservation, charging cost: MicroUSD?, now: Date, readingBalance: Bool, in tx: Transaction) throws
        -> (reservation: Reservation, balance: MicroUSD?) {
        let key = reservation.wallet, function = readingBalance ? "wallet_close_reading_balance" : "wallet_close"
        let answer = try tx.first("""
            SELECT * FROM \(raw: function)(\(key.tenant), \(key.owner), \(reservation.id), \(cost?.value), \(now.millisecondsSince1970))
            """) { row in (outcome: row["outcome"] as String, reservation: Self.reservation(row, key, reference: nil),
                           balance: readingBalance ? (row["balance"] as Int64?).map { MicroUSD($0) } : nil) }
        guard let closed = answer?.reservation, answer?.outcome != "not_found" else {
            throw WalletError(.notFound, "no reservation \(reservation.id) on wallet \(key.owner)")
        }
        return (closed, answer?.balance ?? nil)
    }

    /// The reservation a function answered with; nil when it answered without one.
    private static func reservation(_ row: borrowing SQLRow, _ key: WalletKey, reference: String?) -> Reservation? {
        guard let id = row["id"] as Int64?, let walletID = row["wallet_id"] as Int64?, let amount = row["amount"] as Int64?,
              let state = (row["state"] as String?).flatMap(Reservation.State.init(rawValue:)),
              let reference = reference ?? row["reference"] as String?
        else { return nil }
        return Reservation(id: id, wallet: key, walletID: walletID, reference: reference,
                           jobID: (row["job_id"] as Int64?).map(JobID.init(rawValue:)), amount: MicroUSD(amount), state: state,
                           charged: MicroUSD(row["charged"] as Int64? ?? 0), uncharged: MicroUSD(row["uncharged"] as Int64? ?? 0))
    }

    // MARK: The rest, as SQLLedger does it

    func wallet(_ key: WalletKey, in tx: Transaction) throws -> WalletBalance? { try statements.wallet(key, in: tx) }

    func wallets(of tenant: String, in tx: Transaction) throws -> [WalletBalance] { try statements.wallets(of: tenant, in: tx) }

    func charge(_ amount: MicroUSD, againstReservation id: Int64, on key: WalletKey, reference: String, now: Date,
                in tx: Transaction) throws -> MicroUSD {
        try statements.charge(amount, againstReservation: id, on: key, reference: reference, now: now, in: tx)
    }

    func voidCharge(againstReservation id: Int64, on key: WalletKey, reference: String, now: Date, in tx: Transaction) throws
        -> MicroUSD {
        try statements.voidCharge(againstReservation: id, on: key, reference: reference, now: now, in: tx)
    }

    func post(_ kind: LedgerEntry.Kind, _ delta: MicroUSD, on key: WalletKey, reference: String?, detail: String?,
              refundOf reservationID: Int64?, now: Date, in tx: Transaction) throws -> (balance: WalletBalance, applied: Bool) {
        try statements.post(kind, delta, on: key, reference: reference, detail: detail, refundOf: reservationID, now: now, in: tx)
    }

    func heldReservation(reference: String, on key: WalletKey, in tx: Transaction) throws -> Reservation? {
        try statements.heldReservation(reference: reference, on: key, in: tx)
    }

    func reservation(_ id: Int64, on key: WalletKey, in tx: Transaction) throws -> Reservation? {
        try statements.reservation(id, on: key, in: tx)
    }

    func heldReservations(prefix: String, in tx: Transaction) throws -> [Reservation] {
        try statements.heldReservations(prefix: prefix, in: tx)
    }

    func heldTotals(in tx: Transaction) throws -> (count: Int, amount: MicroUSD) { try statements.heldTotals(in: tx) }

    func ledger(walletID: Int64, tenant: String, before: Int64?, limit: Int, in tx: Transaction) throws -> [LedgerEntry]? {
        try statements.ledger(walletID: walletID, tenant: tenant, before: before, limit: limit, in: tx)
    }

    func audit(in tx: Transaction) throws -> [String] { try statements.audit(in: tx) }
}
