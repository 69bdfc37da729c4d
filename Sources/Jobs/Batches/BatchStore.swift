import Foundation
import Runtime

/// The batches' SQL, the same on SQLite and PostgreSQL. Rows change only through these
/// functions, each one conditional statement (or inside the caller's transaction for
/// `markInProgress`), so instances sharing one PostgreSQL database move a batch once: the
/// `WHERE status = …` of each transition decides which of them does.
struct BatchStore: Sendable {
    let backend: any Backend

    private static let columns: SQL = """
        seq, id, tenant, status, wallet, hold_amount, hold_id, total, completed, failed, cancelled, cost, error,
        created_at, expires_at, cancel_requested_at, expired_at, finished_at
        """

    private static func batch(_ row: borrowing SQLRow) -> InferenceBatch {
        let cancelRequestedAt = (row["cancel_requested_at"] as Int64?).map(Date.init(millisecondsSince1970:))
        let expiredAt = (row["expired_at"] as Int64?).map(Date.init(millisecondsSince1970:))
        let finishedAt = (row["finished_at"] as Int64?).map(Date.init(millisecondsSince1970:))
        let status = row["status"] as String, wallet = row["wallet"] as String?
        return InferenceBatch(
            id: row["id"], sequence: row["seq"], tenant: row["tenant"],
            status: InferenceBatch.Status(rawValue: status) ?? .failed, wallet: wallet ?? "team",
            holdMicroUSD: row["hold_amount"], holdID: row["hold_id"],
            counts: InferenceBatch.Counts(total: row["total"], completed: row["completed"], failed: row["failed"], cancelled: row["cancelled"]),
            costMicroUSD: row["cost"], error: row["error"], createdAt: Date(millisecondsSince1970: row["created_at"]),
            expiresAt: Date(millisecondsSince1970: row["expires_at"]), cancelRequestedAt: cancelRequestedAt, expiredAt: expiredAt,
            finishedAt: finishedAt)
    }

    /// Writes a new batch, `validating`.
    func insert(_ batch: InferenceBatch) async throws {
        try await backend.write { tx in
            _ = try tx.run("""
                INSERT INTO inference_batches (id, tenant, status, wallet, hold_amount, total, created_at, expires_at)
                VALUES (\(batch.id), \(batch.tenant), 'validating', \(batch.wallet), \(batch.holdMicroUSD), \(batch.counts.total),
                        \(batch.createdAt.millisecondsSince1970), \(batch.expiresAt.millisecondsSince1970))
                """)
        }
    }

    /// Inside the transaction that enqueues the items: the batch runs, on this hold. Throws
    /// (rolling the enqueue back) if the batch is not `validating` or its idempotency key is taken.
    static func markInProgress(_ id: String, holdID: Int64, idempotencyKey: String?, _ tx: Transaction) throws {
        let changed = try tx.run("""
            UPDATE inference_batches SET status = 'in_progress', hold_id = \(holdID), idempotency_key = \(idempotencyKey)
            WHERE id = \(id) AND status = 'validating'
            """)
        guard changed == 1 else { throw StoreError(kind: .other, message: "batch \(id) is not validating any more") }
    }

    /// The tenant's batch submitted with this Idempotency-Key, if any.
    func batch(tenant: String, idempotencyKey: String) async throws -> InferenceBatch? {
        try await backend.read { tx in
            try tx.first("SELECT \(Self.columns) FROM inference_batches WHERE tenant = \(tenant) AND idempotency_key = \(idempotencyKey)") {
                Self.batch($0)
            }
        }
    }

    /// Batches still running: their finalizer must be alive.
    func active() async throws -> [InferenceBatch] {
        try await backend.read { tx in
            try tx.all("SELECT \(Self.columns) FROM inference_batches WHERE status IN ('in_progress', 'finalizing', 'cancelling')") {
                Self.batch($0)
            }
        }
    }

    func delete(_ id: String) async throws {
        try await backend.write { tx in
            _ = try tx.run("DELETE FROM inference_batches WHERE id = \(id) AND status = 'validating'")
        }
    }

    func batch(_ id: String, tenant: String? = nil) async throws -> InferenceBatch? {
        let batch = try await backend.read { tx in
            try tx.first("SELECT \(Self.columns) FROM inference_batches WHERE id = \(id)") { Self.batch($0) }
        }
        if let tenant, batch?.tenant != tenant { return nil }
        return batch
    }

    /// A tenant's batches, newest first, `limit` at a time below `before` (a sequence number).
    func batches(tenant: String, before: Int64?, limit: Int) async throws -> [InferenceBatch] {
        try await backend.read { tx in
            try tx.all("""
                SELECT \(Self.columns) FROM inference_batches WHERE tenant = \(tenant) AND seq < \(before ?? Int64.max)
                ORDER BY seq DESC LIMIT \(limit)
                """) { Self.batch($0) }
        }
    }

    func validating() async throws -> [InferenceBatch] {
        try await backend.read { tx in
            try tx.all("SELECT \(Self.columns) FROM inference_batches WHERE status = 'validating'") { Self.batch($0) }
        }
    }

    /// A cancel: `cancelling`, unless the batch already ended. False if it had.
    func requestCancel(_ id: String, at now: Date) async throws -> Bool {
        try await backend.write { tx in
            try tx.run("""
                UPDATE inference_batches SET status = 'cancelling', cancel_requested_at = coalesce(cancel_requested_at, \(now.millisecondsSince1970))
                WHERE id = \(id) AND status IN ('in_progress', 'cancelling')
                """) == 1
        }
    }

    func markExpired(_ id: String, at now: Date) async throws {
        try await backend.write { tx in
            _ = try tx.run("UPDATE inference_batches SET expired_at = \(now.millisecondsSince1970) WHERE id = \(id) AND expired_at IS NULL")
        }
    }

    /// `finalizing`, from `in_progress` only; true if this call moved it.
    @discardableResult
    func markFinalizing(_ id: String) async throws -> Bool {
        try await backend.write { tx in
            try tx.run("UPDATE inference_batches SET status = 'finalizing' WHERE id = \(id) AND status = 'in_progress'") == 1
        }
    }

    /// The end of a batch that ran: `cancelled` if a cancel was requested, `expired` if the
    /// window closed on it, else `completed` (decided in the statement, so a cancel that landed
    /// while finalizing is not lost), with the figures frozen. The statement ends the batch once
    /// (its `WHERE` refuses an ended one): the call that did gets true and raises
    /// `batch.completed` in the same commit.
    @discardableResult
    func finish(_ id: String, counts: InferenceBatch.Counts, cost: Int64, at now: Date) async throws -> Bool {
        let at = now.millisecondsSince1970
        return try await backend.write { tx in
            let ended = try tx.first("""
                UPDATE inference_batches
                SET status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled' WHEN expired_at IS NOT NULL THEN 'expired'
                                  ELSE 'completed' END,
                    completed = \(counts.completed), failed = \(counts.failed), cancelled = \(counts.cancelled), cost = \(cost), finished_at = \(at)
                WHERE id = \(id) AND status NOT IN ('completed', 'failed', 'cancelled', 'expired')
                RETURNING tenant, status
                """) { row in (tenant: row["tenant"] as String, status: row["status"] as String) }
            guard let ended else { return false }
            try WebhookEvents.emit(.batchCompleted, tenant: ended.tenant, data: BatchEndedData(
                id: id, status: ended.status, requestCounts: .init(total: counts.total, completed: counts.completed, failed: counts.failed, cancelled: counts.cancelled),
                costUsd: MicroUSD(cost).usdString), at: at, tx)
            return true
        }
    }

    /// What `batch.completed` says of the batch.
    struct BatchEndedData: Encodable {
        struct Counts: Encodable {
            var total: Int
            var completed: Int
            var failed: Int
            var cancelled: Int
        }

        var id: String
        var status: String
        var requestCounts: Counts
        var costUsd: String
    }

    /// A batch that could not start: `failed`, with why.
    /// Fails a batch still `validating`; false if it had moved on.
    @discardableResult
    func fail(_ id: String, error: String, at now: Date) async throws -> Bool {
        try await backend.write { tx in
            try tx.run("""
                UPDATE inference_batches SET status = 'failed', error = \(error), finished_at = \(now.millisecondsSince1970)
                WHERE id = \(id) AND status = 'validating'
                """) == 1
        }
    }
}
