import Foundation

/// The live figures of the wallets whose tenants hash to this shard, and the only path by which
/// those wallets change. Each wallet is loaded once, then kept: every change is decided here,
/// written through the group commit, and only then reflected, except that a reservation (or a
/// downward adjustment) takes its amount out of `available` *before* its write, and gives it
/// back if the write fails. So the figures here never show more available money than the
/// database has, and concurrent reservations can never overspend.
actor WalletShard {
    private struct Wallet {
        let id: Int64
        var balance: Int64
        /// Held reservations plus amounts set aside by writes still in flight.
        var reserved: Int64
        var held: [Int64: Reservation] = [:]
        var heldIDs: [String: Int64] = [:]
        /// Reservations being written, by reference: a second caller with the same reference waits for the first.
        var reserving: [String: Task<Reservation, any Error>] = [:]
        /// Settlements and releases being written, by reservation id.
        var closing: [Int64: Task<Reservation, any Error>] = [:]
        /// Charges being written, by reservation id, then reference, and what they take.
        var charging: [Int64: [String: Task<Charge, any Error>]] = [:]
        var charges: [Int64: Int64] = [:]
    }

    /// What a charge took, and whether this call applied it (false: it was made before).
    struct Charge: Sendable {
        var amount: Int64
        var applied: Bool
    }

    private enum Slot {
        case missing
        case present(Wallet)
    }

    private let database: SQLiteStore
    private let clock: any WallClock
    private var slots: [WalletKey: Slot] = [:]
    private var loading: [WalletKey: Task<WalletRecords.LoadedWallet?, any Error>] = [:]
    private var creating: [WalletKey: Task<Int64, any Error>] = [:]

    init(database: SQLiteStore, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    // MARK: Loading

    /// The wallet's live figures, loading them on first use. Writes to a wallet always load
    /// it first, so no write can race its load.
    private func wallet(_ key: WalletKey) async throws -> Wallet? {
        switch slots[key] {
        case .present(let wallet): return wallet
        case .missing: return nil
        case nil: break
        }
        let task: Task<WalletRecords.LoadedWallet?, any Error>
        if let pending = loading[key] {
            task = pending
        } else {
            task = Task { [database] in try await database.read { db in try WalletRecords.load(key, db) } }
            loading[key] = task
        }
        let loaded: WalletRecords.LoadedWallet?
        do {
            loaded = try await task.value
        } catch {
            loading[key] = nil
            throw error
        }
        loading[key] = nil
        if let slot = slots[key] {  // another caller installed it while this one waited
            if case .present(let wallet) = slot { return wallet }
            return nil
        }
        guard let loaded else {
            slots[key] = .missing
            return nil
        }
        var wallet = Wallet(id: loaded.id, balance: loaded.balance, reserved: loaded.reserved)
        for reservation in loaded.held {
            wallet.held[reservation.id] = reservation
            wallet.heldIDs[reservation.reference] = reservation.id
        }
        slots[key] = .present(wallet)
        return wallet
    }

    private func update(_ key: WalletKey, _ change: (inout Wallet) -> Void) {
        guard case .present(var wallet) = slots[key] else { return }
        slots[key] = nil  // keep the dictionary's storage uniquely referenced while changing it
        change(&wallet)
        slots[key] = .present(wallet)
    }

    private func now() -> Int64 { clock.now().millisecondsSince1970 }

    // MARK: Reading

    func balances(_ keys: [WalletKey]) async throws -> [WalletBalance?] {
        var balances: [WalletBalance?] = []
        for key in keys { balances.append(try await balance(key)) }
        return balances
    }

    func balance(_ key: WalletKey) async throws -> WalletBalance? {
        guard let wallet = try await wallet(key) else { return nil }
        // In-flight reservations already count as reserved: what callers see is what they can spend.
        return WalletBalance(id: wallet.id, key: key, balance: MicroUSD(wallet.balance), reserved: MicroUSD(wallet.reserved))
    }

    func held(reference: String, key: WalletKey) async throws -> Reservation? {
        guard let wallet = try await wallet(key), let id = wallet.heldIDs[reference] else { return nil }
        return wallet.held[id]
    }

    // MARK: Reserving

    func reserve(_ key: WalletKey, amount: Int64, reference: String, jobID: JobID?) async throws -> Reservation {
        guard let wallet = try await wallet(key) else {
            throw WalletError(.insufficientCredits, "wallet \(key.owner) has no credit (available 0.00 USD, needed \(MicroUSD(amount)) USD)")
        }
        if let id = wallet.heldIDs[reference], let existing = wallet.held[id] { return existing }
        if let pending = wallet.reserving[reference] { return try await pending.value }
        let available = wallet.balance - wallet.reserved
        guard amount <= available else {
            throw WalletError(.insufficientCredits,
                              "wallet \(key.owner) has \(MicroUSD(available)) USD available, needed \(MicroUSD(amount)) USD")
        }
        let at = now()
        let walletID = wallet.id
        let task = Task { [database] in
            try await database.write { db -> Reservation in
                // A reference already settled is not reserved again: its operation is done.
                if let settled = try WalletRecords.settled(reference: reference, walletID: walletID, key: key, db) { return settled }
                let id = try WalletRecords.insertReservation(walletID: walletID, reference: reference, jobID: jobID,
                                                             amount: amount, now: at, db)
                try WalletRecords.post(.init(walletID: walletID, kind: .reserve, amount: amount, reservedDelta: amount,
                                             reservationID: id, reference: reference), now: at, db)
                return Reservation(id: id, wallet: key, walletID: walletID, reference: reference, jobID: jobID,
                                   amount: MicroUSD(amount), state: .held, charged: .zero, uncharged: .zero)
            }
        }
        update(key) { wallet in
            wallet.reserved += amount
            wallet.reserving[reference] = task
        }
        do {
            let reservation = try await task.value
            update(key) { wallet in
                wallet.reserving[reference] = nil
                if reservation.state == .held {
                    wallet.held[reservation.id] = reservation
                    wallet.heldIDs[reference] = reservation.id
                } else {
                    wallet.reserved -= amount
                }
            }
            return reservation
        } catch {
            update(key) { wallet in
                wallet.reserving[reference] = nil
                wallet.reserved -= amount
            }
            throw error
        }
    }

    // MARK: Settling and releasing

    /// Settles (`charge` non-nil: charges up to what the reservation still holds, records any
    /// excess) or releases a reservation; what earlier charges took stays charged. Idempotent:
    /// a closed reservation is returned as it was closed. Waits for charges being written first.
    func close(_ reservation: Reservation, charge: Int64?) async throws -> Reservation {
        let key = reservation.wallet
        guard var wallet = try await wallet(key) else {
            throw WalletError(.notFound, "no wallet \(key.owner) for tenant \(key.tenant)")
        }
        while let charging = wallet.charging[reservation.id]?.values.first {
            _ = try? await charging.value
            guard let reloaded = try await self.wallet(key) else { throw WalletError(.notFound, "wallet \(key) vanished") }
            wallet = reloaded
        }
        if let pending = wallet.closing[reservation.id] { return try await pending.value }
        guard let held = wallet.held[reservation.id] else { return try await closed(reservation, wallet: wallet) }
        let at = now()
        let holding = held.amount.value - held.charged.value
        let charged = min(charge ?? 0, holding)
        let uncharged = max(0, (charge ?? 0) - holding)
        let state: Reservation.State = charge == nil && held.charged == .zero ? .released : .settled
        let task = Task { [database] in
            try await database.write { db -> Reservation in
                guard try WalletRecords.close(held.id, as: state, charging: charged, uncharged: uncharged, now: at, db) else {
                    return try WalletRecords.reservation(id: held.id, key: key, db) ?? held
                }
                let posting: WalletRecords.Posting = if charge != nil {
                    .init(walletID: held.walletID, kind: .settle, amount: charged, balanceDelta: -charged,
                          reservedDelta: -holding, reservationID: held.id, reference: held.reference,
                          detail: uncharged > 0 ? "cost above the reservation not charged: \(MicroUSD(uncharged)) USD" : nil)
                } else {
                    .init(walletID: held.walletID, kind: .release, amount: holding,
                          reservedDelta: -holding, reservationID: held.id, reference: held.reference)
                }
                try WalletRecords.post(posting, now: at, db)
                return Reservation(id: held.id, wallet: key, walletID: held.walletID, reference: held.reference, jobID: held.jobID,
                                   amount: held.amount, state: state, charged: held.charged + MicroUSD(charged),
                                   uncharged: held.uncharged + MicroUSD(uncharged))
            }
        }
        update(key) { $0.closing[held.id] = task }
        do {
            let closed = try await task.value
            update(key) { wallet in
                wallet.closing[held.id] = nil
                wallet.held[held.id] = nil
                wallet.heldIDs[held.reference] = nil
                wallet.reserved -= holding
                wallet.balance -= charged
            }
            return closed
        } catch {
            update(key) { $0.closing[held.id] = nil }
            throw error
        }
    }

    /// A reservation that is not held: already closed (returned as it was closed), or not this wallet's.
    private func closed(_ reservation: Reservation, wallet: Wallet) async throws -> Reservation {
        let id = reservation.id, key = reservation.wallet
        let stored = try await database.read { db in try WalletRecords.reservation(id: id, key: key, db) }
        guard let stored, stored.walletID == wallet.id else {
            throw WalletError(.notFound, "no reservation \(reservation.id) on wallet \(key.owner)")
        }
        return stored
    }

    // MARK: Charging part of a reservation

    /// Charges `amount` (at most what the reservation still holds; any excess is recorded on
    /// the line, not charged) while the reservation stays held. Idempotent by `reference`:
    /// charging again returns what the first charge took. Returns the amount charged.
    func charge(_ id: Int64, key: WalletKey, amount: Int64, reference: String) async throws -> Int64 {
        guard let wallet = try await wallet(key) else {
            throw WalletError(.notFound, "no wallet \(key.owner) for tenant \(key.tenant)")
        }
        if let pending = wallet.charging[id]?[reference] { return try await pending.value.amount }
        let walletID = wallet.id
        guard let held = wallet.held[id], wallet.closing[id] == nil else {
            // Closed (or closing): only a charge already made can be answered.
            let made = try await database.read { db in try WalletRecords.charge(reservationID: id, reference: reference, walletID: walletID, db) }
            guard let made else {
                throw WalletError(.notFound, "reservation \(id) on wallet \(key.owner) is not held any more")
            }
            return made
        }
        let holding = held.amount.value - held.charged.value - wallet.charges[id, default: 0]
        let charged = min(amount, max(0, holding))
        let uncharged = amount - charged
        let at = now()
        let task = Task { [database] in
            try await database.write { db -> Charge in
                let posted = try WalletRecords.post(.init(walletID: walletID, kind: .charge, amount: charged, balanceDelta: -charged,
                                                          reservedDelta: -charged, reservationID: id, reference: reference,
                                                          detail: uncharged > 0 ? "cost above the reservation not charged: \(MicroUSD(uncharged)) USD" : nil),
                                                    now: at, db)
                guard posted != nil else {  // charged before (by an earlier process): answer that charge
                    return Charge(amount: try WalletRecords.charge(reservationID: id, reference: reference, walletID: walletID, db) ?? 0, applied: false)
                }
                try WalletRecords.addCharge(charged, uncharged: uncharged, to: id, db)
                return Charge(amount: charged, applied: true)
            }
        }
        update(key) { wallet in
            wallet.charging[id, default: [:]][reference] = task
            wallet.charges[id, default: 0] += charged
        }
        let result = await task.result
        update(key) { wallet in
            wallet.charging[id]?[reference] = nil
            if wallet.charging[id]?.isEmpty == true { wallet.charging[id] = nil }
            wallet.charges[id, default: 0] -= charged
            if wallet.charges[id] == 0 { wallet.charges[id] = nil }
            if case .success(let charge) = result, charge.applied, let current = wallet.held[id] {
                wallet.balance -= charged
                wallet.reserved -= charged
                wallet.held[id] = current.adding(charged: charged, uncharged: uncharged)
            }
        }
        return try result.get().amount
    }

    /// Gives a charge on a held reservation back to the hold (its operation failed after all, on
    /// a rerun after a crash): idempotent (the void line's reference is `void:<reference>`).
    /// Returns what was given back; 0 when there was no such charge or it was voided before.
    func voidCharge(_ id: Int64, key: WalletKey, reference: String) async throws -> Int64 {
        guard let first = try await wallet(key) else { throw WalletError(.notFound, "no wallet \(key.owner) for tenant \(key.tenant)") }
        if let pending = first.charging[id]?[reference] { _ = try? await pending.value }
        let walletID = first.id, voidReference = "void:" + reference
        let made = try await database.read { db in try WalletRecords.charge(reservationID: id, reference: reference, walletID: walletID, db) }
        guard let made, made > 0 else { return 0 }
        guard let wallet = try await self.wallet(key), wallet.held[id] != nil, wallet.closing[id] == nil else {
            throw WalletError(.notFound, "reservation \(id) on wallet \(key.owner) is not held any more")
        }
        if let pending = wallet.charging[id]?[voidReference] { return try await pending.value.amount }
        let at = now()
        let task = Task { [database] in
            try await database.write { db -> Charge in
                let posted = try WalletRecords.post(.init(walletID: walletID, kind: .charge, amount: -made, balanceDelta: made, reservedDelta: made,
                                                          reservationID: id, reference: voidReference,
                                                          detail: "charge \(reference) voided: its operation failed"), now: at, db)
                guard posted != nil else { return Charge(amount: 0, applied: false) }
                try WalletRecords.addCharge(-made, uncharged: 0, to: id, db)
                return Charge(amount: made, applied: true)
            }
        }
        // Registered like a charge, so a close waits for it.
        update(key) { $0.charging[id, default: [:]][voidReference] = task }
        let result = await task.result
        update(key) { wallet in
            wallet.charging[id]?[voidReference] = nil
            if wallet.charging[id]?.isEmpty == true { wallet.charging[id] = nil }
            if case .success(let void) = result, void.applied {
                wallet.balance += void.amount
                wallet.reserved += void.amount
                if let current = wallet.held[id] { wallet.held[id] = current.adding(charged: -void.amount, uncharged: 0) }
            }
        }
        return try result.get().amount
    }

    // MARK: Credits, refunds and adjustments

    /// Posts a credit, refund or adjustment of `delta` (negative only for an adjustment).
    /// A reference already posted with the same kind changes nothing (`applied` is false).
    func post(_ key: WalletKey, kind: LedgerEntry.Kind, delta: Int64, reference: String?, detail: String?,
              refundOf reservationID: Int64? = nil) async throws -> (balance: WalletBalance, applied: Bool) {
        var found = try await wallet(key)
        if found == nil && delta > 0 { found = try await create(key) }
        guard let wallet = found else {
            throw WalletError(.insufficientCredits, "wallet \(key.owner) has no credit (available 0.00 USD)")
        }
        if delta < 0 {
            let available = wallet.balance - wallet.reserved
            guard -delta <= available else {
                throw WalletError(.insufficientCredits, "wallet \(key.owner) has \(MicroUSD(available)) USD available, cannot take \(MicroUSD(-delta)) USD")
            }
        } else if wallet.balance + delta > MicroUSD.maximum.value {
            throw WalletError(.invalidRequest, "a wallet cannot hold more than \(MicroUSD.maximum) USD")
        }
        let at = now()
        let walletID = wallet.id
        let write = { [database] () async throws -> Bool in
            try await database.write { db in
                let posted = try WalletRecords.post(.init(walletID: walletID, kind: kind, amount: delta, balanceDelta: delta,
                                                          reservationID: reservationID, reference: reference, detail: detail),
                                                    now: at, db)
                if posted != nil, let reservationID {
                    let refund = try db.statement("""
                        UPDATE wallet_reservations SET refunded = refunded + ?1
                        WHERE id = ?2 AND wallet_id = ?3 AND state = 'settled' AND refunded + ?1 <= charged
                        """)
                    refund.bind(1, delta)
                    refund.bind(2, reservationID)
                    refund.bind(3, walletID)
                    try refund.run()
                    guard db.changes == 1 else {
                        throw WalletError(.invalidRequest, "refunds of reservation \(reservationID) cannot exceed what it charged")
                    }
                }
                return posted != nil
            }
        }
        // A downward adjustment holds its amount while it is written, as a reservation does.
        if delta < 0 { update(key) { $0.reserved -= delta } }
        let applied: Bool
        do {
            applied = try await write()
        } catch {
            if delta < 0 { update(key) { $0.reserved += delta } }
            throw error
        }
        update(key) { wallet in
            if delta < 0 { wallet.reserved += delta }
            if applied { wallet.balance += delta }
        }
        guard let balance = try await balance(key) else { throw WalletError(.notFound, "wallet \(key) vanished") }
        return (balance, applied)
    }

    /// Creates a missing wallet (empty), once however many callers ask at the same time.
    private func create(_ key: WalletKey) async throws -> Wallet? {
        let task: Task<Int64, any Error>
        if let pending = creating[key] {
            task = pending
        } else {
            let at = now()
            task = Task { [database] in try await database.write { db in try WalletRecords.create(key, now: at, db) } }
            creating[key] = task
        }
        defer { creating[key] = nil }
        let id = try await task.value
        if case .present(let wallet)? = slots[key] { return wallet }
        let wallet = Wallet(id: id, balance: 0, reserved: 0)
        slots[key] = .present(wallet)
        return wallet
    }
}
