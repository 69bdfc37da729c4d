import Foundation
public import Runtime

/// `inference.batch.finalize`: one per batch, enqueued with its items. It wakes now and then
/// (a snooze: no attempt used) until every item has ended; cancels what still waits once the
/// completion window has closed; then releases what the hold still holds and freezes the
/// batch's figures and final status. Every step is idempotent, so a crash anywhere reruns it safely.
/// It runs as the `system` tenant, out of reach of the tenant's `POST /jobs/{id}/cancel`; start-up
/// enqueues a new one for any running batch whose finalizer is gone (`InferenceBatches.recover`).
public struct BatchFinalizeJob: JobHandler {
    public struct Payload: Codable, Sendable, Equatable {
        public var batch: String
    }

    public static let kind = "inference.batch.finalize"
    public var options: JobKindOptions { JobKindOptions(retry: .exponentialJitter(maxAttempts: 1_000), timeout: .seconds(60)) }

    static let tenant = "system"
    static func uniqueKey(_ batch: String) -> String { "batch-finalize:" + batch }

    let batches: BatchStore
    let jobs: any JobStore
    let wallets: Wallets

    init(batches: BatchStore, jobs: any JobStore, wallets: Wallets) {
        self.batches = batches
        self.jobs = jobs
        self.wallets = wallets
    }

    public func run(_ payload: Payload, context: JobContext) async throws -> NoOutput {
        guard let batch = try await batches.batch(payload.batch), !batch.status.isTerminal, let holdID = batch.holdID else {
            return NoOutput()
        }
        let now = context.clock.now()
        var counts = InferenceBatch.Counts(total: batch.counts.total, states: try await jobs.counts(batch: batch.id))
        if batch.expiredAt != nil || now >= batch.expiresAt, counts.finished < counts.total {
            // Both steps again on every pass, so a crash between them cannot let items run late.
            try await batches.markExpired(batch.id, at: now)
            _ = try await jobs.cancelWaiting(batch: batch.id, kind: BatchItemJob.kind, reason: Self.expiredReason, now: now)
            counts = InferenceBatch.Counts(total: batch.counts.total, states: try await jobs.counts(batch: batch.id))
        }
        guard counts.finished >= counts.total else { throw JobFailure.snooze(for: Self.pollInterval(since: batch.createdAt, now: now)) }

        try await batches.markFinalizing(batch.id)
        let wallet = try batch.walletKey()
        var cost: Int64 = 0
        if let hold = try await wallets.reservation(holdID, on: wallet) {
            cost = try await wallets.release(hold).charged.value
        }
        try await batches.finish(batch.id, counts: counts, cost: cost, at: context.clock.now())
        return NoOutput()
    }

    /// The last error of items cancelled because the window closed.
    static let expiredReason = "expired: the batch's completion window closed before the item ran"

    /// Often at first (small batches end fast), then less often: 0.2 s up to 5 s.
    static func pollInterval(since start: Date, now: Date) -> Duration {
        .milliseconds(Int64(min(5_000, max(200, now.timeIntervalSince(start) * 1_000 / 20))))
    }
}
