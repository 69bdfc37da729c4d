public import Foundation

/// The wallets' storage: every change to money is a conditional statement inside the caller's
/// transaction, and the database decides whether it may happen (`reserved + amount` only while
/// `balance - reserved` covers it), so any number of processes on one database can never
/// overspend. Every change appends one ledger line and applies the same deltas to its wallet.
/// Callers validate amounts and references (`Wallets` does); the repository keeps the rules of
/// money: idempotency by reference, never below zero, each reservation closed once.
public protocol LedgerRepository: Sendable {
    /// A wallet's figures; nil if it does not exist.
    func wallet(_ key: WalletKey, in tx: Transaction) throws -> WalletBalance?
    /// A tenant's wallets, team first.
    func wallets(of tenant: String, in tx: Transaction) throws -> [WalletBalance]
    /// Holds `amount` for `reference`, or returns the reservation already held or settled under
    /// it; `insufficient_credits` when the available balance does not cover it.
    func reserve(_ amount: MicroUSD, on key: WalletKey, reference: String, jobID: JobID?, now: Date, in tx: Transaction) throws
        -> Reservation
    /// Settles (`charging` a cost: at most what it still holds is charged, an excess is
    /// recorded) or releases (nil) a held reservation. A closed one is returned as it was closed.
    func close(_ reservation: Reservation, charging cost: MicroUSD?, now: Date, in tx: Transaction) throws -> Reservation
    /// `close`, also answering the wallet's balance once closed (nil: no such wallet), read
    /// under the wallet's lock in the same call where the backend can.
    func closeReadingBalance(_ reservation: Reservation, charging cost: MicroUSD?, now: Date, in tx: Transaction) throws
        -> (reservation: Reservation, balance: MicroUSD?)
    /// Charges part of a held reservation, which stays held; idempotent by `reference`. Returns what was charged.
    func charge(_ amount: MicroUSD, againstReservation id: Int64, on key: WalletKey, reference: String, now: Date,
                in tx: Transaction) throws -> MicroUSD
    /// Gives a charge back to its held reservation; idempotent. Returns what was given back.
    func voidCharge(againstReservation id: Int64, on key: WalletKey, reference: String, now: Date, in tx: Transaction) throws
        -> MicroUSD
    /// Posts a credit, refund or adjustment (creating the wallet for a credit); a reference
    /// already posted with the same kind changes nothing (`applied` false).
    func post(_ kind: LedgerEntry.Kind, _ delta: MicroUSD, on key: WalletKey, reference: String?, detail: String?,
              refundOf reservationID: Int64?, now: Date, in tx: Transaction) throws -> (balance: WalletBalance, applied: Bool)
    /// The reservation held on `key` under `reference`, if any.
    func heldReservation(reference: String, on key: WalletKey, in tx: Transaction) throws -> Reservation?
    /// A reservation of `key` by id, held or closed.
    func reservation(_ id: Int64, on key: WalletKey, in tx: Transaction) throws -> Reservation?
    /// Held reservations over all tenants whose reference starts with `prefix`.
    func heldReservations(prefix: String, in tx: Transaction) throws -> [Reservation]
    /// How many reservations are held and what they hold, over all tenants.
    func heldTotals(in tx: Transaction) throws -> (count: Int, amount: MicroUSD)
    /// A wallet's lines, newest first, after the line `before`; nil if the wallet is not the tenant's.
    func ledger(walletID: Int64, tenant: String, before: Int64?, limit: Int, in tx: Transaction) throws -> [LedgerEntry]?
    /// Every wallet checked against its ledger and reservations; empty when all balance.
    func audit(in tx: Transaction) throws -> [String]
}

extension LedgerRepository {
    public func closeReadingBalance(_ reservation: Reservation, charging cost: MicroUSD?, now: Date, in tx: Transaction) throws
        -> (reservation: Reservation, balance: MicroUSD?) {
        let closed = try close(reservation, charging: cost, now: now, in: tx)
        return (closed, try wallet(reservation.wallet, in: tx)?.balance)
    }
}
