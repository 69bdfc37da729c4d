import Foundation

/// Tenants' credit wallets: reserve before calling a provider, settle to the actual cost
/// after, release on failure; credits, refunds and adjustments. Promises:
/// - money is integer micro-USD; a balance never goes below what is reserved, nor below zero,
///   under any concurrency (the live figures are decided in actors, the database's CHECK
///   constraints refuse anything else);
/// - every change is an append-only ledger line, and a wallet's balance and reserved amount
///   always equal the sums of its lines (`audit` proves it);
/// - a call returns only after its change is durable (group commit);
/// - every call is idempotent by reference: reserving again returns the held (or settled)
///   reservation, settling twice charges once, a credit with a used reference is not posted twice.
///
/// Wallet state is sharded over actors by tenant, so unrelated tenants never wait for each other.
public final class Wallets: Sendable {
    private let shards: [WalletShard]
    let database: SQLiteStore

    public init(database: SQLiteStore, clock: any WallClock, shardCount: Int = 64) {
        self.database = database
        shards = (0..<max(1, shardCount)).map { _ in WalletShard(database: database, clock: clock) }
    }

    private func shard(_ key: WalletKey) -> WalletShard {
        var hasher = Hasher()
        hasher.combine(key.tenant)
        return shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))]
    }

    // MARK: Operations

    /// Sets `amount` aside for the operation named by `reference` (a job id, a request id), if
    /// the available balance covers it; else `insufficient_credits`. With a `ceiling` (the
    /// caller's `x-budget-max-usd`), an amount above it is `budget_exceeded` and nothing is
    /// reserved. The reservation is durable when this returns.
    public func reserve(_ amount: MicroUSD, on wallet: WalletKey, reference: String, jobID: JobID? = nil,
                        ceiling: MicroUSD? = nil) async throws -> Reservation {
        if let ceiling, amount > ceiling {
            throw WalletError(.budgetExceeded, "worst-case cost \(amount) USD is above the budget of \(ceiling) USD")
        }
        try Self.check(amount)
        try Self.check(reference: reference)
        return try await shard(wallet).reserve(wallet, amount: amount.value, reference: reference, jobID: jobID)
    }

    /// Charges the actual cost, at most what the reservation still holds (a cost above it is
    /// recorded on the ledger line, not charged), and frees the rest. Settling again returns the first result.
    public func settle(_ reservation: Reservation, actualCost: MicroUSD) async throws -> Reservation {
        guard actualCost.value >= 0, actualCost <= MicroUSD.maximum else {
            throw WalletError(.invalidRequest, "a cost must be 0 to \(MicroUSD.maximum) USD, not \(actualCost)")
        }
        return try await shard(reservation.wallet).close(reservation, charge: actualCost.value)
    }

    /// Charges part of a held reservation and keeps it held (a batch pays for each item out of
    /// its hold): at most what it still holds is charged (an excess is recorded on the ledger
    /// line). Idempotent by `reference` (the item's job), also after a restart. Returns what
    /// was charged. Closing the reservation afterwards settles or releases only what it still holds.
    public func charge(_ amount: MicroUSD, againstReservation id: Int64, on wallet: WalletKey, reference: String)
        async throws -> MicroUSD {
        guard amount.value >= 0, amount <= MicroUSD.maximum else {
            throw WalletError(.invalidRequest, "a cost must be 0 to \(MicroUSD.maximum) USD, not \(amount)")
        }
        try Self.check(reference: reference)
        return MicroUSD(try await shard(wallet).charge(id, key: wallet, amount: amount.value, reference: reference))
    }

    /// Gives a charge back to its held reservation, for an operation that was charged and then
    /// failed (rerun after a crash). Idempotent. Returns what was given back (0: nothing to give).
    public func voidCharge(againstReservation id: Int64, on wallet: WalletKey, reference: String) async throws -> MicroUSD {
        try Self.check(reference: reference)
        return MicroUSD(try await shard(wallet).voidCharge(id, key: wallet, reference: reference))
    }

    /// The reservation held on `wallet` under `reference`, if any.
    public func heldReservation(reference: String, on wallet: WalletKey) async throws -> Reservation? {
        try await shard(wallet).held(reference: reference, key: wallet)
    }

    /// A reservation of `wallet` by id, held or closed; nil if the wallet has none with this id.
    public func reservation(_ id: Int64, on wallet: WalletKey) async throws -> Reservation? {
        try await database.read { db in
            let find = try db.statement("""
                SELECT r.id, r.wallet_id, r.reference, r.job_id, r.amount, r.state, r.charged, r.uncharged
                FROM wallet_reservations r JOIN wallets w ON w.id = r.wallet_id WHERE r.id = ? AND w.tenant = ? AND w.owner = ?
                """)
            find.bind(1, id)
            find.bind(2, wallet.tenant)
            find.bind(3, wallet.owner)
            return try find.step() ? WalletRecords.reservation(find, wallet) : nil
        }
    }

    /// Frees what the reservation still holds, charging nothing more. Releasing again returns the first result.
    public func release(_ reservation: Reservation) async throws -> Reservation {
        try await shard(reservation.wallet).close(reservation, charge: nil)
    }

    /// Adds credit (creating the wallet if needed). With a reference (a payment id), posting the
    /// same reference again changes nothing and `applied` is false.
    public func credit(_ amount: MicroUSD, to wallet: WalletKey, reference: String? = nil, reason: String? = nil)
        async throws -> (balance: WalletBalance, applied: Bool) {
        try Self.check(amount)
        if let reference { try Self.check(reference: reference) }
        return try await shard(wallet).post(wallet, kind: .credit, delta: amount.value, reference: reference, detail: reason)
    }

    /// Gives back part or all of what a settled reservation charged; the refunds of one
    /// reservation never exceed its charge. Idempotent by `reference`.
    public func refund(_ amount: MicroUSD, of reservation: Reservation, reference: String, reason: String? = nil)
        async throws -> (balance: WalletBalance, applied: Bool) {
        try Self.check(amount)
        try Self.check(reference: reference)
        return try await shard(reservation.wallet).post(reservation.wallet, kind: .refund, delta: amount.value, reference: reference,
                                                        detail: reason, refundOf: reservation.id)
    }

    /// An operator's correction, up or down; down never below what is reserved. Idempotent by `reference`.
    public func adjust(_ wallet: WalletKey, by delta: MicroUSD, reference: String, reason: String)
        async throws -> (balance: WalletBalance, applied: Bool) {
        guard delta.value != 0, delta.value.magnitude <= MicroUSD.maximum.value.magnitude else {
            throw WalletError(.invalidRequest, "an adjustment must be non-zero and at most \(MicroUSD.maximum) USD either way")
        }
        try Self.check(reference: reference)
        return try await shard(wallet).post(wallet, kind: .adjustment, delta: delta.value, reference: reference, detail: reason)
    }

    // MARK: Reading

    /// A wallet's figures (reservations being written already count as reserved); nil if it does not exist.
    public func balance(of wallet: WalletKey) async throws -> WalletBalance? {
        try await shard(wallet).balance(wallet)
    }

    /// The figures of several wallets of one tenant (nil for those that do not exist), read in
    /// one hop: a tenant's wallets share a shard.
    public func balances(of tenant: String, owners: [WalletKey]) async throws -> [WalletBalance?] {
        precondition(owners.allSatisfy { $0.tenant == tenant }, "balances(of:owners:) reads one tenant's wallets")
        guard let first = owners.first else { return [] }
        return try await shard(first).balances(owners)
    }

    /// A tenant's wallets, team first.
    public func wallets(of tenant: String) async throws -> [WalletBalance] {
        let owners = try await database.read { db -> [String] in
            let find = try db.statement("SELECT owner FROM wallets WHERE tenant = ? ORDER BY owner = 'team' DESC, owner")
            find.bind(1, tenant)
            var owners: [String] = []
            while try find.step() { owners.append(find.string(0) ?? "") }
            return owners
        }
        var balances: [WalletBalance] = []
        for owner in owners {
            if let key = try? WalletKey(tenant: tenant, parsing: owner), let balance = try await balance(of: key) { balances.append(balance) }
        }
        return balances
    }

    /// The reservations held now over all tenants, and what they hold (for metrics).
    public func heldReservations() async throws -> (count: Int, amount: MicroUSD) {
        try await database.read { db in
            let select = try db.statement("SELECT count(*), coalesce(sum(amount), 0) FROM wallet_reservations WHERE state = 'held'")
            _ = try select.step()
            return (select.int(0), MicroUSD(select.int64(1)))
        }
    }

    /// A wallet's ledger lines, newest first, `limit` at a time after the line `before` (a
    /// cursor: the last id of the previous page; a line of another wallet gives an empty
    /// page). Only the tenant's own wallets are found (nil otherwise).
    public func ledger(walletID: Int64, tenant: String, before: Int64? = nil, limit: Int = 20) async throws -> [LedgerEntry]? {
        let limit = min(max(limit, 1), 1000)
        return try await database.read { db -> [LedgerEntry]? in
            let owner = try db.statement("SELECT last_entry_id FROM wallets WHERE id = ? AND tenant = ?")
            owner.bind(1, walletID)
            owner.bind(2, tenant)
            guard try owner.step() else { return nil }
            var next = owner.optionalInt64(0)
            owner.reset()
            // Follow the wallet's chain of lines, newest first, from the head or past the cursor.
            let line = try db.statement("SELECT \(WalletRecords.entryColumns), previous_id FROM wallet_ledger WHERE id = ? AND wallet_id = ?")
            if let before {
                line.bind(1, before)
                line.bind(2, walletID)
                guard try line.step() else { return [] }
                next = line.optionalInt64(10)
                line.reset()
            }
            var entries: [LedgerEntry] = []
            while let id = next, entries.count < limit {
                line.bind(1, id)
                line.bind(2, walletID)
                guard try line.step() else { break }
                entries.append(WalletRecords.entry(line))
                next = line.optionalInt64(10)
                line.reset()
            }
            return entries
        }
    }

    // MARK: Checks

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
