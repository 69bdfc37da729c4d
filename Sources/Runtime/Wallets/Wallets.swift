public import Foundation

/// Tenants' credit wallets: reserve before calling a provider, settle to the actual cost
/// after, release on failure; credits, refunds and adjustments. Promises:
/// - money is integer micro-USD; a balance never goes below what is reserved, nor below zero,
///   under any concurrency and across processes: the database decides each change with a
///   conditional statement (`LedgerRepository`), and nothing about money is kept in memory;
/// - every change is an append-only ledger line, and a wallet's balance and reserved amount
///   always equal the sums of its lines (`audit` proves it);
/// - a call returns only after its change is durable; the `in:` forms join the caller's
///   transaction instead (a job and its reservation, a message and its hold, in one commit);
/// - every call is idempotent by reference: reserving again returns the held (or settled)
///   reservation, settling twice charges once, a credit with a used reference is not posted twice.
public final class Wallets: Sendable {
    let backend: any Backend
    let ledger: any LedgerRepository
    private let clock: any WallClock

    public init(backend: any Backend, clock: any WallClock) {
        self.backend = backend
        ledger = backend.ledger
        self.clock = clock
    }

    /// Wallets on an SQLite store (tools and tests that open one directly).
    public convenience init(database: SQLiteStore, clock: any WallClock) {
        self.init(backend: SQLiteBackend(store: database), clock: clock)
    }

    // MARK: Operations

    /// Sets `amount` aside for the operation named by `reference` (a job id, a request id), if
    /// the available balance covers it; else `insufficient_credits`. With a `ceiling` (the
    /// caller's `x-budget-max-usd`), an amount above it is `budget_exceeded` and nothing is
    /// reserved. The reservation is durable when this returns.
    public func reserve(_ amount: MicroUSD, on wallet: WalletKey, reference: String, jobID: JobID? = nil,
                        ceiling: MicroUSD? = nil) async throws -> Reservation {
        try Self.check(amount, ceiling: ceiling, reference: reference)
        let now = clock.now(), ledger = self.ledger
        return try await backend.write { tx in
            try ledger.reserve(amount, on: wallet, reference: reference, jobID: jobID, now: now, in: tx)
        }
    }

    /// `reserve` inside the caller's transaction: it commits (or not) with the caller's other writes.
    public func reserve(_ amount: MicroUSD, on wallet: WalletKey, reference: String, jobID: JobID? = nil, ceiling: MicroUSD? = nil,
                        now: Date, in tx: Transaction) throws -> Reservation {
        try Self.check(amount, ceiling: ceiling, reference: reference)
        return try ledger.reserve(amount, on: wallet, reference: reference, jobID: jobID, now: now, in: tx)
    }

    /// Charges the actual cost, at most what the reservation still holds (a cost above it is
    /// recorded on the ledger line, not charged), and frees the rest. Settling again returns the first result.
    public func settle(_ reservation: Reservation, actualCost: MicroUSD) async throws -> Reservation {
        try Self.check(cost: actualCost)
        let now = clock.now(), ledger = self.ledger
        return try await backend.write { tx in try ledger.close(reservation, charging: actualCost, now: now, in: tx) }
    }

    /// `settle` inside the caller's transaction.
    public func settle(_ reservation: Reservation, actualCost: MicroUSD, now: Date, in tx: Transaction) throws -> Reservation {
        try Self.check(cost: actualCost)
        return try ledger.close(reservation, charging: actualCost, now: now, in: tx)
    }

    /// `settle` inside the caller's transaction, also answering the wallet's balance once settled.
    public func settleReadingBalance(_ reservation: Reservation, actualCost: MicroUSD, now: Date, in tx: Transaction) throws
        -> (reservation: Reservation, balance: MicroUSD?) {
        try Self.check(cost: actualCost)
        return try ledger.closeReadingBalance(reservation, charging: actualCost, now: now, in: tx)
    }

    /// Charges part of a held reservation and keeps it held (a batch pays for each item out of
    /// its hold): at most what it still holds is charged (an excess is recorded on the ledger
    /// line). Idempotent by `reference` (the item's job), also after a restart. Returns what
    /// was charged. Closing the reservation afterwards settles or releases only what it still holds.
    public func charge(_ amount: MicroUSD, againstReservation id: Int64, on wallet: WalletKey, reference: String)
        async throws -> MicroUSD {
        try Self.check(cost: amount)
        try Self.check(reference: reference)
        let now = clock.now(), ledger = self.ledger
        return try await backend.write { tx in
            try ledger.charge(amount, againstReservation: id, on: wallet, reference: reference, now: now, in: tx)
        }
    }

    /// Gives a charge back to its held reservation, for an operation that was charged and then
    /// failed (rerun after a crash). Idempotent. Returns what was given back (0: nothing to give).
    public func voidCharge(againstReservation id: Int64, on wallet: WalletKey, reference: String) async throws -> MicroUSD {
        try Self.check(reference: reference)
        let now = clock.now(), ledger = self.ledger
        return try await backend.write { tx in
            try ledger.voidCharge(againstReservation: id, on: wallet, reference: reference, now: now, in: tx)
        }
    }

    /// The reservation held on `wallet` under `reference`, if any.
    public func heldReservation(reference: String, on wallet: WalletKey) async throws -> Reservation? {
        let ledger = self.ledger
        return try await backend.read { tx in try ledger.heldReservation(reference: reference, on: wallet, in: tx) }
    }

    /// A reservation of `wallet` by id, held or closed; nil if the wallet has none with this id.
    public func reservation(_ id: Int64, on wallet: WalletKey) async throws -> Reservation? {
        let ledger = self.ledger
        return try await backend.read { tx in try ledger.reservation(id, on: wallet, in: tx) }
    }

    /// Frees what the reservation still holds, charging nothing more. Releasing again returns the first result.
    public func release(_ reservation: Reservation) async throws -> Reservation {
        let now = clock.now(), ledger = self.ledger
        return try await backend.write { tx in try ledger.close(reservation, charging: nil, now: now, in: tx) }
    }

    /// `release` inside the caller's transaction.
    public func release(_ reservation: Reservation, now: Date, in tx: Transaction) throws -> Reservation {
        try ledger.close(reservation, charging: nil, now: now, in: tx)
    }

    /// Adds credit (creating the wallet if needed). With a reference (a payment id), posting the
    /// same reference again changes nothing and `applied` is false.
    public func credit(_ amount: MicroUSD, to wallet: WalletKey, reference: String? = nil, reason: String? = nil)
        async throws -> (balance: WalletBalance, applied: Bool) {
        try Self.check(amount)
        if let reference { try Self.check(reference: reference) }
        return try await post(.credit, amount, on: wallet, reference: reference, detail: reason)
    }

    /// Gives back part or all of what a settled reservation charged; the refunds of one
    /// reservation never exceed its charge. Idempotent by `reference`.
    public func refund(_ amount: MicroUSD, of reservation: Reservation, reference: String, reason: String? = nil)
        async throws -> (balance: WalletBalance, applied: Bool) {
        try Self.check(amount)
        try Self.check(reference: reference)
        return try await post(.refund, amount, on: reservation.wallet, reference: reference, detail: reason, refundOf: reservation.id)
    }

    /// An operator's correction, up or down; down never below what is reserved. Idempotent by `reference`.
    public func adjust(_ wallet: WalletKey, by delta: MicroUSD, reference: String, reason: String)
        async throws -> (balance: WalletBalance, applied: Bool) {
        guard delta.value != 0, delta.value.magnitude <= MicroUSD.maximum.value.magnitude else {
            throw WalletError(.invalidRequest, "an adjustment must be non-zero and at most \(MicroUSD.maximum) USD either way")
        }
        try Self.check(reference: reference)
        return try await post(.adjustment, delta, on: wallet, reference: reference, detail: reason)
    }

    private func post(_ kind: LedgerEntry.Kind, _ delta: MicroUSD, on wallet: WalletKey, reference: String?, detail: String?,
                      refundOf reservationID: Int64? = nil) async throws -> (balance: WalletBalance, applied: Bool) {
        let now = clock.now(), ledger = self.ledger
        return try await backend.write { tx in
            try ledger.post(kind, delta, on: wallet, reference: reference, detail: detail, refundOf: reservationID, now: now, in: tx)
        }
    }

    // MARK: Reading

    /// A wallet's figures; nil if it does not exist.
    public func balance(of wallet: WalletKey) async throws -> WalletBalance? {
        let ledger = self.ledger
        return try await backend.read { tx in try ledger.wallet(wallet, in: tx) }
    }

    /// `balance(of:)` inside the caller's transaction (what it sees includes its own writes).
    public func balance(of wallet: WalletKey, in tx: Transaction) throws -> WalletBalance? {
        try ledger.wallet(wallet, in: tx)
    }

    /// The figures of several wallets of one tenant (nil for those that do not exist), in one snapshot.
    public func balances(of tenant: String, owners: [WalletKey]) async throws -> [WalletBalance?] {
        precondition(owners.allSatisfy { $0.tenant == tenant }, "balances(of:owners:) reads one tenant's wallets")
        let ledger = self.ledger
        return try await backend.read { tx in try owners.map { try ledger.wallet($0, in: tx) } }
    }

    /// A tenant's wallets, team first.
    public func wallets(of tenant: String) async throws -> [WalletBalance] {
        let ledger = self.ledger
        return try await backend.read { tx in try ledger.wallets(of: tenant, in: tx) }
    }

    /// The reservations held now over all tenants, and what they still hold (for metrics).
    public func heldReservations() async throws -> (count: Int, amount: MicroUSD) {
        let ledger = self.ledger
        return try await backend.read { tx in try ledger.heldTotals(in: tx) }
    }

    /// A wallet's ledger lines, newest first, `limit` at a time after the line `before` (a
    /// cursor: the last id of the previous page; a line of another wallet gives an empty
    /// page). Only the tenant's own wallets are found (nil otherwise).
    public func ledger(walletID: Int64, tenant: String, before: Int64? = nil, limit: Int = 20) async throws -> [LedgerEntry]? {
        let limit = min(max(limit, 1), 1000), ledger = self.ledger
        return try await backend.read { tx in try ledger.ledger(walletID: walletID, tenant: tenant, before: before, limit: limit, in: tx) }
    }

    // MARK: Checks

    private static func check(_ amount: MicroUSD, ceiling: MicroUSD?, reference: String) throws(WalletError) {
        if let ceiling, amount > ceiling {
            throw WalletError(.budgetExceeded, "worst-case cost \(amount) USD is above the budget of \(ceiling) USD")
        }
        try check(amount)
        try check(reference: reference)
    }

    private static func check(cost: MicroUSD) throws(WalletError) {
        guard cost.value >= 0, cost <= MicroUSD.maximum else {
            throw WalletError(.invalidRequest, "a cost must be 0 to \(MicroUSD.maximum) USD, not \(cost)")
        }
    }

    private static func check(_ amount: MicroUSD) throws(WalletError) {
        guard amount.value > 0, amount <= MicroUSD.maximum else {
            throw WalletError(.invalidRequest, "an amount must be more than 0 and at most \(MicroUSD.maximum) USD, not \(amount)")
        }
    }

    private static func check(reference: String) throws(WalletError) {
        guard !reference.isEmpty, reference.utf8.count <= 255 else {
            throw WalletError(.invalidRequest, "a reference of 1 to 255 bytes is required")
        }
    }
}
