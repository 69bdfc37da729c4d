import Foundation
import Runtime

/// The batches' SQL. Rows change only through these functions, each one statement in the
/// store's group commit (or inside the caller's transaction for `markInProgress`).
struct BatchStore: Sendable {
    let database: SQLiteStore

    private static let columns = """
        seq, id, tenant, status, wallet, hold_amount, hold_id, total, completed, failed, cancelled, cost, error,
        created_at, expires_at, cancel_requested_at, expired_at, finished_at
        """

    private static func batch(_ row: SQLiteStatement) -> InferenceBatch {
        let total = row.int(7)
        let date = { (column: Int32) in row.optionalInt64(column).map(Date.init(millisecondsSince1970:)) }
        return InferenceBatch(
            id: row.string(1) ?? "", sequence: row.int64(0), tenant: row.string(2) ?? "",
            status: InferenceBatch.Status(rawValue: row.string(3) ?? "") ?? .failed, wallet: row.string(4) ?? "team",
            holdMicroUSD: row.int64(5), holdID: row.optionalInt64(6),
            counts: InferenceBatch.Counts(total: total, completed: row.int(8), failed: row.int(9), cancelled: row.int(10)),
            costMicroUSD: row.int64(11), error: row.string(12), createdAt: Date(millisecondsSince1970: row.int64(13)),
            expiresAt: Date(millisecondsSince1970: row.int64(14)), cancelRequestedAt: date(15), expiredAt: date(16),
            finishedAt: date(17))
    }

    /// Writes a new batch, `validating`.
    func insert(_ batch: InferenceBatch) async throws {
        try await database.write { db in
            let insert = try db.statement("""
                INSERT INTO inference_batches (id, tenant, status, wallet, hold_amount, total, created_at, expires_at)
                VALUES (?, ?, 'validating', ?, ?, ?, ?, ?)
                """)
            insert.bind(1, batch.id)
            insert.bind(2, batch.tenant)
            insert.bind(3, batch.wallet)
            insert.bind(4, batch.holdMicroUSD)
            insert.bind(5, batch.counts.total)
            insert.bind(6, batch.createdAt.millisecondsSince1970)
            insert.bind(7, batch.expiresAt.millisecondsSince1970)
            try insert.run()
        }
    }

    /// Inside the transaction that enqueues the items: the batch runs, on this hold. Throws
    /// (rolling the enqueue back) if the batch is not `validating` or its idempotency key is taken.
    static func markInProgress(_ id: String, holdID: Int64, idempotencyKey: String?, _ db: SQLiteConnection) throws {
        let update = try db.statement("""
            UPDATE inference_batches SET status = 'in_progress', hold_id = ?, idempotency_key = ? WHERE id = ? AND status = 'validating'
            """)
        update.bind(1, holdID)
        update.bind(2, idempotencyKey)
        update.bind(3, id)
        try update.run()
        guard db.changes == 1 else { throw StoreError(kind: .other, message: "batch \(id) is not validating any more") }
    }

    /// The tenant's batch submitted with this Idempotency-Key, if any.
    func batch(tenant: String, idempotencyKey: String) async throws -> InferenceBatch? {
        try await database.read { db in
            let select = try db.statement("SELECT \(Self.columns) FROM inference_batches WHERE tenant = ? AND idempotency_key = ?")
            select.bind(1, tenant)
            select.bind(2, idempotencyKey)
            return try select.step() ? Self.batch(select) : nil
        }
    }

    /// Batches still running: their finalizer must be alive.
    func active() async throws -> [InferenceBatch] {
        try await database.read { db in
            let select = try db.statement("""
                SELECT \(Self.columns) FROM inference_batches WHERE status IN ('in_progress', 'finalizing', 'cancelling')
                """)
            var batches: [InferenceBatch] = []
            while try select.step() { batches.append(Self.batch(select)) }
            return batches
        }
    }

    func delete(_ id: String) async throws {
        try await database.write { db in
            let delete = try db.statement("DELETE FROM inference_batches WHERE id = ? AND status = 'validating'")
            delete.bind(1, id)
            try delete.run()
        }
    }

    func batch(_ id: String, tenant: String? = nil) async throws -> InferenceBatch? {
        try await database.read { db in
            let select = try db.statement("SELECT \(Self.columns) FROM inference_batches WHERE id = ?")
            select.bind(1, id)
            guard try select.step() else { return nil }
            let batch = Self.batch(select)
            if let tenant, batch.tenant != tenant { return nil }
            return batch
        }
    }

    /// A tenant's batches, newest first, `limit` at a time below `before` (a sequence number).
    func batches(tenant: String, before: Int64?, limit: Int) async throws -> [InferenceBatch] {
        try await database.read { db in
            let select = try db.statement("""
                SELECT \(Self.columns) FROM inference_batches WHERE tenant = ? AND seq < ? ORDER BY seq DESC LIMIT ?
                """)
            select.bind(1, tenant)
            select.bind(2, before ?? Int64.max)
            select.bind(3, limit)
            var batches: [InferenceBatch] = []
            while try select.step() { batches.append(Self.batch(select)) }
            return batches
        }
    }

    func validating() async throws -> [InferenceBatch] {
        try await database.read { db in
            let select = try db.statement("SELECT \(Self.columns) FROM inference_batches WHERE status = 'validating'")
            var batches: [InferenceBatch] = []
            while try select.step() { batches.append(Self.batch(select)) }
            return batches
        }
    }

    /// A cancel: `cancelling`, unless the batch already ended. False if it had.
    func requestCancel(_ id: String, at now: Date) async throws -> Bool {
        try await database.write { db in
            let update = try db.statement("""
                UPDATE inference_batches SET status = 'cancelling', cancel_requested_at = coalesce(cancel_requested_at, ?)
                WHERE id = ? AND status IN ('in_progress', 'cancelling')
                """)
            update.bind(1, now.millisecondsSince1970)
            update.bind(2, id)
            try update.run()
            return db.changes == 1
        }
    }

    func markExpired(_ id: String, at now: Date) async throws {
        try await database.write { db in
            let update = try db.statement("UPDATE inference_batches SET expired_at = ? WHERE id = ? AND expired_at IS NULL")
            update.bind(1, now.millisecondsSince1970)
            update.bind(2, id)
            try update.run()
        }
    }

    func markFinalizing(_ id: String) async throws {
        try await database.write { db in
            let update = try db.statement("UPDATE inference_batches SET status = 'finalizing' WHERE id = ? AND status = 'in_progress'")
            update.bind(1, id)
            try update.run()
        }
    }

    /// The end of a batch that ran: `cancelled` if a cancel was requested, `expired` if the
    /// window closed on it, else `completed` (decided in the statement, so a cancel that landed
    /// while finalizing is not lost), with the figures frozen.
    func finish(_ id: String, counts: InferenceBatch.Counts, cost: Int64, at now: Date) async throws {
        let at = now.millisecondsSince1970
        try await database.write { db in
            let ended = try db.first("""
                UPDATE inference_batches
                SET status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled' WHEN expired_at IS NOT NULL THEN 'expired'
                                  ELSE 'completed' END,
                    completed = \(counts.completed), failed = \(counts.failed), cancelled = \(counts.cancelled), cost = \(cost), finished_at = \(at)
                WHERE id = \(id) AND status NOT IN ('completed', 'failed', 'cancelled', 'expired')
                RETURNING tenant, status
                """) { row in (tenant: row["tenant"] as String, status: row["status"] as String) }
            if let ended {
                try WebhookEvents.emit(.batchCompleted, tenant: ended.tenant, data: BatchEndedData(
                    id: id, status: ended.status, requestCounts: .init(total: counts.total, completed: counts.completed, failed: counts.failed, cancelled: counts.cancelled),
                    costUsd: MicroUSD(cost).usdString), at: at, db)
            }
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
    func fail(_ id: String, error: String, at now: Date) async throws {
        try await database.write { db in
            let update = try db.statement("""
                UPDATE inference_batches SET status = 'failed', error = ?, finished_at = ?
                WHERE id = ? AND status = 'validating'
                """)
            update.bind(1, error)
            update.bind(2, now.millisecondsSince1970)
            update.bind(3, id)
            try update.run()
        }
    }
}
