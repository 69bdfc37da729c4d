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
    /// recorded (`"costMicroUSD"`, an integer at the top of its JSON result), or released when it
    /// recorded none; a reservation without a job is released. A durable hold
    /// (`durableHoldPrefix`) is kept, and so is the hold of a job that has not finished (running
    /// on another instance, leased by a dead process, or waiting to run again): its next run
    /// reserves with the same reference and gets this hold back, so releasing it under that run
    /// could only lose the charge.
    public static func reconcileByJobResult(_ reservation: Reservation, _ job: JobRecord?) -> Reconciliation {
        if reservation.reference.hasPrefix(durableHoldPrefix) { return .keep }
        if let job, !job.state.isTerminal { return .keep }
        guard let job, let result = job.result,
              let object = try? JSONSerialization.jsonObject(with: result) as? [String: Any],
              let cost = (object["costMicroUSD"] as? NSNumber)?.int64Value, cost >= 0 else { return .release }
        return .settle(MicroUSD(cost))
    }

    /// Settles or releases every held reservation, deciding by its job. The runtime runs it at
    /// start and then periodically, so holds left by an instance that never comes back close
    /// too; the default rule leaves the holds of jobs that have not finished alone.
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
        let ledger = self.ledger
        return try await backend.read { tx in try ledger.heldReservations(prefix: prefix, in: tx) }
    }

    /// Checks every wallet against its ledger and reservations, in one snapshot. Returns the
    /// problems found; empty means every ledger balances and nothing was charged twice.
    public func audit() async throws -> [String] {
        let ledger = self.ledger
        return try await backend.read { tx in try ledger.audit(in: tx) }
    }
}
