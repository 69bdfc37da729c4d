import Foundation
public import Logging
public import Runtime

/// Inference batches: submission, progress, results, cancel. A submission writes the batch
/// (`validating`), holds its worst case on the wallet (a durable hold), then enqueues its
/// items and its finalizer and marks it `in_progress` in one commit; anything that fails on
/// the way undoes what was done, and a process that dies on the way is cleaned up at the
/// next start (`recover`). Promises: a batch the caller was told about has all its
/// items queued; the wallet is charged once per item that ran; the hold is released at the end.
public struct InferenceBatches: Sendable {
    /// At most this many items per batch.
    public static let maxItems = 50_000

    private let runtime: JobRuntime
    private let store: BatchStore
    /// How long a batch may take before what has not run is cancelled as expired.
    public let completionWindow: Duration

    public init(runtime: JobRuntime, completionWindow: Duration = .seconds(24 * 3_600)) {
        self.runtime = runtime
        store = BatchStore(backend: runtime.backend)
        self.completionWindow = completionWindow
    }

    // MARK: Submitting

    /// Why a submission was refused before anything was held or queued, naming the item (0-based).
    public struct ItemError: Error, Sendable, Equatable {
        public let index: Int
        public let field: String
        public let message: String
    }

    /// Holds the items' total worst case on `wallet` (refused whole: `budget_exceeded` above
    /// `ceiling`, `insufficient_credits` beyond the available balance) and queues them. With an
    /// `idempotencyKey` already used by one of the tenant's batches, returns that batch instead.
    public func submit(tenant: String, wallet: WalletKey, items: [BatchItem], ceiling: MicroUSD?, idempotencyKey: String? = nil)
        async throws -> InferenceBatch {
        guard !items.isEmpty, items.count <= Self.maxItems else {
            throw WalletError(.invalidRequest, "a batch holds 1 to \(Self.maxItems) items")
        }
        if let idempotencyKey, let existing = try await store.batch(tenant: tenant, idempotencyKey: idempotencyKey) {
            return try await live(existing)
        }
        let hold = try Self.worstCase(of: items)
        if let ceiling, hold > ceiling {
            throw WalletError(.budgetExceeded, "the batch's worst-case cost \(hold) USD is above the budget of \(ceiling) USD")
        }
        // Every payload is made (and measured) before anything is written.
        let encoder = JSONEncoder()
        var payloads: [Data] = []
        payloads.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let payload = try encoder.encode(BatchItemJob.Payload(item))
            guard payload.count <= Self.maxItemBytes else {
                throw ItemError(index: index, field: "messages", message: "the item is larger than \(Self.maxItemBytes / 1_024) KiB")
            }
            payloads.append(payload)
        }
        let now = runtime.clock.now()
        var batch = InferenceBatch(
            id: PublicID.make(prefix: "batch_"), sequence: 0, tenant: tenant, status: .validating, wallet: wallet.owner, holdMicroUSD: hold.value, holdID: nil,
            counts: .init(total: items.count), costMicroUSD: 0, error: nil, createdAt: now,
            expiresAt: now.addingTimeInterval(completionWindow.timeInterval))
        try await store.insert(batch)
        let reservation: Reservation
        do {
            reservation = try await runtime.wallets.reserve(hold, on: wallet, reference: InferenceBatch.holdReference(batch.id))
        } catch {
            try? await store.delete(batch.id)
            throw error
        }
        do {
            var jobs = payloads.map { NewJob(kind: BatchItemJob.kind, tenant: tenant, payload: $0, batchID: batch.id) }
            // Ahead of other system work whenever it is due; the tenant cannot cancel it.
            jobs.append(try Self.finalizer(batch.id, runAt: now.addingTimeInterval(0.2), uniqueKey: BatchFinalizeJob.uniqueKey(batch.id)))
            // The items, the finalizer and the batch's move to `in_progress`: one commit.
            let id = batch.id, holdID = reservation.id
            try await runtime.enqueue(jobs) { tx in try BatchStore.markInProgress(id, holdID: holdID, idempotencyKey: idempotencyKey, tx) }
        } catch {
            // Undo; if the release itself fails, the row stays `validating` for `recover` to finish.
            if (try? await runtime.wallets.release(reservation)) != nil { try? await store.delete(batch.id) }
            if let idempotencyKey, let existing = try? await store.batch(tenant: tenant, idempotencyKey: idempotencyKey) {
                return try await live(existing)  // a concurrent submission with the same key won
            }
            throw error
        }
        batch.status = .inProgress
        batch.holdID = reservation.id
        return (try? await store.batch(batch.id)) ?? batch
    }

    /// An item's payload (its messages, mostly) may be at most this large.
    public static let maxItemBytes = 1 << 20

    /// The sum of the items' worst cases, refused above what a wallet can hold.
    public static func worstCase(of items: [BatchItem]) throws -> MicroUSD {
        var hold: Int64 = 0
        for item in items {
            let (sum, overflow) = hold.addingReportingOverflow(item.worstCase.value)
            guard !overflow, sum <= MicroUSD.maximum.value else {
                throw WalletError(.invalidRequest, "the batch's worst-case cost is above \(MicroUSD.maximum) USD")
            }
            hold = sum
        }
        return MicroUSD(hold)
    }

    private static func finalizer(_ batch: String, runAt: Date, uniqueKey: String) throws -> NewJob {
        try NewJob(BatchFinalizeJob.self, tenant: BatchFinalizeJob.tenant, payload: .init(batch: batch), priority: 100, runAt: runAt,
                   uniqueKey: uniqueKey)
    }

    /// Longer than creating a batch of 50,000 items takes, with room: on a shared database a
    /// younger `validating` batch may be another instance's creation in progress.
    static let longestCreation: Duration = .seconds(600)

    /// Run at start, before serving. Batches a dead process left `validating` (their submitter
    /// was never answered 202): their hold, if made, is released and they are marked `failed`.
    /// Running batches whose finalizer is gone (failed for good, or cancelled by an operator)
    /// get a new one. A batch hold whose batch has ended (or is gone) is released: its charges
    /// stay, the rest goes back to the wallet. A batch that cannot be recovered is logged and left as it is.
    @discardableResult
    public func recover(logger: Logger) async throws -> (failed: Int, refinalized: Int, holdsReleased: Int) {
        var failed = 0, refinalized = 0, holdsReleased = 0
        // On a database other instances share, a batch still `validating` may be one that another
        // instance is creating right now: only one older than any creation takes was interrupted.
        let now = runtime.clock.now()
        let interruptedBefore = runtime.sqlite == nil ? now.addingTimeInterval(-Self.longestCreation.timeInterval) : now
        for batch in try await store.validating() where batch.createdAt <= interruptedBefore {
            do {
                // Failed first: a creation that commits after this finds its batch moved on and undoes itself.
                guard try await store.fail(batch.id, error: "the server stopped while the batch was being created", at: now) else { continue }
                let wallet = try batch.walletKey()
                if let hold = try await runtime.wallets.heldReservation(reference: InferenceBatch.holdReference(batch.id), on: wallet) {
                    _ = try await runtime.wallets.release(hold)
                }
                failed += 1
            } catch {
                logger.error("could not recover an interrupted batch", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
            }
        }
        for batch in try await store.active() {
            do {
                // Finalizers are keyed `batch-finalize:<id>`, then `…:1`, `…:2` for replacements:
                // the first key not used yet gets one, unless a finalizer under an earlier key is alive.
                var generation = 0, key = BatchFinalizeJob.uniqueKey(batch.id), alive = false
                while let finalizer = try await runtime.jobs.job(tenant: BatchFinalizeJob.tenant, uniqueKey: key) {
                    if !finalizer.state.isTerminal { alive = true; break }
                    generation += 1
                    key = BatchFinalizeJob.uniqueKey(batch.id) + ":\(generation)"
                }
                if alive { continue }
                try await runtime.enqueue(Self.finalizer(batch.id, runAt: runtime.clock.now(), uniqueKey: key))
                refinalized += 1
            } catch {
                logger.error("could not give a running batch a new finalizer", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
            }
        }
        let prefix = InferenceBatch.holdReference("")
        for hold in try await runtime.wallets.heldReservations(prefix: prefix) {
            let id = String(hold.reference.dropFirst(prefix.count))
            do {
                if let batch = try await store.batch(id), !batch.status.isTerminal { continue }
                _ = try await runtime.wallets.release(hold)
                holdsReleased += 1
            } catch {
                logger.error("could not release the hold of an ended batch", metadata: ["batch": "\(id)", "error": "\(error)"])
            }
        }
        return (failed, refinalized, holdsReleased)
    }

    // MARK: Reading

    /// The batch with its live progress and cost; nil for an unknown id or another tenant's.
    public func batch(_ id: String, tenant: String) async throws -> InferenceBatch? {
        guard let batch = try await store.batch(id, tenant: tenant) else { return nil }
        return try await live(batch)
    }

    /// A tenant's batches, newest first, below the sequence number `before`.
    public func batches(tenant: String, before: Int64?, limit: Int) async throws -> [InferenceBatch] {
        var batches: [InferenceBatch] = []
        for batch in try await store.batches(tenant: tenant, before: before, limit: limit) { batches.append(try await live(batch)) }
        return batches
    }

    /// Figures of a batch still running come from its items and its hold; an ended batch's are frozen.
    private func live(_ batch: InferenceBatch) async throws -> InferenceBatch {
        guard !batch.status.isTerminal, batch.status != .validating else { return batch }
        var batch = batch
        batch.counts = InferenceBatch.Counts(total: batch.counts.total, states: try await runtime.jobs.counts(batch: batch.id))
        if let holdID = batch.holdID, let wallet = try? batch.walletKey(),
           let hold = try await runtime.wallets.reservation(holdID, on: wallet) {
            batch.costMicroUSD = hold.charged.value
        }
        return batch
    }

    /// The items' results in submission order, `limit` at a time after the item `after`;
    /// nil for an unknown batch.
    public func results(_ id: String, tenant: String, after: JobID?, limit: Int) async throws -> [BatchItemResult]? {
        guard try await store.batch(id, tenant: tenant) != nil else { return nil }
        let decoder = JSONDecoder()
        return try await runtime.jobs.jobs(batch: id, kind: BatchItemJob.kind, after: after, limit: limit).map { job in
            let customID = (try? decoder.decode(CustomID.self, from: job.payload))?.customId ?? ""
            var result = BatchItemResult(jobID: job.id, customID: customID, status: .pending)
            switch job.state {
            case .scheduled, .queued: result.status = .pending
            case .running: result.status = .running
            case .succeeded:
                result.status = .completed
                result.output = try? decoder.decode(BatchItemJob.Output.self, from: job.result ?? Data())
            case .failed, .dead:
                result.status = .failed
                result.failure = InferenceFailure.decode(job.lastError)
                    ?? InferenceFailure(code: "provider_unavailable", message: job.lastError ?? "the item failed")
            case .cancelled:
                result.status = job.lastError == BatchFinalizeJob.expiredReason ? .expired : .cancelled
            }
            return result
        }
    }

    private struct CustomID: Decodable {
        var customId: String
    }

    // MARK: Cancelling

    public enum CancelOutcome: Sendable {
        case notFound
        /// It had already ended, as this.
        case alreadyFinished(InferenceBatch.Status)
        case cancelling(InferenceBatch)
    }

    /// Stops what has not started; what runs finishes and stays charged. The batch ends
    /// `cancelled` once the running items are done and the hold is released.
    public func cancel(_ id: String, tenant: String) async throws -> CancelOutcome {
        guard let batch = try await store.batch(id, tenant: tenant) else { return .notFound }
        let now = runtime.clock.now()
        guard try await store.requestCancel(id, at: now) else {
            let status = try await store.batch(id)?.status ?? batch.status
            return status == .validating ? .notFound : .alreadyFinished(status)  // finalizing: every item has ended
        }
        _ = try await runtime.jobs.cancelWaiting(batch: id, kind: BatchItemJob.kind, reason: "cancelled by the client", now: now)
        guard let cancelled = try await self.batch(id, tenant: tenant) else { return .notFound }
        return .cancelling(cancelled)
    }
}
