import Foundation

extension Wallets {
    /// What to do with a reservation a dead process left held.
    public enum Reconciliation: Sendable, Equatable {
        case settle(MicroUSD)
        case release
        /// Leave it held: its owner outlives processes and closes it itself.
        case keep
    }

    /// References that start with this name holds whose owner outlives a process (a batch,
    /// which draws on its hold item by item and closes it when it ends): `reconcile` keeps them.
    public static let durableHoldPrefix = "hold:"

    /// The default rule: a reservation whose job finished is settled with the cost the job
    /// recorded (`"costMicroUSD"`, an integer at the top of its JSON result); a durable hold
    /// (`durableHoldPrefix`) is kept; any other (job still to run, no job, no recorded cost) is
    /// released — a job that runs again reserves again.
    public static func reconcileByJobResult(_ reservation: Reservation, _ job: JobRecord?) -> Reconciliation {
        if reservation.reference.hasPrefix(durableHoldPrefix) { return .keep }
        guard let job, job.state.isTerminal, let result = job.result,
              let object = try? JSONSerialization.jsonObject(with: result) as? [String: Any],
              let cost = (object["costMicroUSD"] as? NSNumber)?.int64Value, cost >= 0 else { return .release }
        return .settle(MicroUSD(cost))
    }

    /// Settles or releases every held reservation, deciding by its job. Run it at start,
    /// before anything reserves: then every held reservation belongs to a process that is gone.
    public func reconcile(job: @Sendable (JobID) async throws -> JobRecord?,
                          decide: @Sendable (Reservation, JobRecord?) -> Reconciliation = Wallets.reconcileByJobResult)
        async throws -> (settled: Int, released: Int) {
        let held = try await heldReservations(prefix: "")
        var settled = 0, released = 0
        for reservation in held {
            var record: JobRecord?
            if let id = reservation.jobID { record = try await job(id) }
            switch decide(reservation, record) {
            case .settle(let cost):
                _ = try await settle(reservation, actualCost: cost)
                settled += 1
            case .release:
                _ = try await release(reservation)
                released += 1
            case .keep:
                continue
            }
        }
        return (settled, released)
    }

    /// The reservations held now whose reference starts with `prefix` (durable holds of one
    /// kind of owner, for that owner's own start-up reconciliation).
    public func heldReservations(prefix: String) async throws -> [Reservation] {
        try await database.read { db -> [Reservation] in
            let find = try db.statement("""
                SELECT r.id, r.wallet_id, r.reference, r.job_id, r.amount, r.state, r.charged, r.uncharged, w.tenant, w.owner
                FROM wallet_reservations r JOIN wallets w ON w.id = r.wallet_id
                WHERE r.state = 'held' AND substr(r.reference, 1, length(?1)) = ?1
                """)
            find.bind(1, prefix)
            var held: [Reservation] = []
            while try find.step() {
                guard let key = try? WalletKey(tenant: find.string(8) ?? "", parsing: find.string(9) ?? "") else { continue }
                held.append(WalletRecords.reservation(find, key))
            }
            return held
        }
    }

    /// Checks every wallet against its ledger and reservations, in one snapshot. Returns the
    /// problems found; empty means every ledger balances and nothing was charged twice.
    public func audit() async throws -> [String] {
        try await database.read { db -> [String] in
            var problems: [String] = []
            let wallets = try db.statement("""
                WITH sums AS (SELECT wallet_id, SUM(balance_delta) AS balance, SUM(reserved_delta) AS reserved
                              FROM wallet_ledger GROUP BY wallet_id),
                     held AS (SELECT wallet_id, SUM(amount - charged) AS amount FROM wallet_reservations WHERE state = 'held'
                              GROUP BY wallet_id)
                SELECT w.id, w.tenant, w.owner, w.balance, w.reserved,
                       COALESCE(s.balance, 0), COALESCE(s.reserved, 0), COALESCE(h.amount, 0)
                FROM wallets w LEFT JOIN sums s ON s.wallet_id = w.id LEFT JOIN held h ON h.wallet_id = w.id
                """)
            while try wallets.step() {
                let name = "wallet \(wallets.int64(0)) (\(wallets.string(1) ?? "")/\(wallets.string(2) ?? ""))"
                let (balance, reserved) = (wallets.int64(3), wallets.int64(4))
                let (ledgerBalance, ledgerReserved, held) = (wallets.int64(5), wallets.int64(6), wallets.int64(7))
                if balance != ledgerBalance { problems.append("\(name): balance \(balance) but its ledger sums to \(ledgerBalance)") }
                if reserved != ledgerReserved { problems.append("\(name): reserved \(reserved) but its ledger sums to \(ledgerReserved)") }
                if reserved != held { problems.append("\(name): reserved \(reserved) but its held reservations sum to \(held)") }
                if balance < reserved || reserved < 0 { problems.append("\(name): balance \(balance) below reserved \(reserved)") }
            }
            wallets.reset()
            let closedTwice = try db.statement("""
                SELECT reservation_id, COUNT(*) FROM wallet_ledger WHERE kind IN ('settle', 'release')
                GROUP BY reservation_id HAVING COUNT(*) > 1
                """)
            while try closedTwice.step() {
                problems.append("reservation \(closedTwice.int64(0)) was settled or released \(closedTwice.int64(1)) times")
            }
            return problems
        }
    }
}
