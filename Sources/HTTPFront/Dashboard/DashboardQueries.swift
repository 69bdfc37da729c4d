import Foundation
import Runtime

/// The read-only queries of the dashboard's lists that span every tenant. Each reads one page
/// through an index (a primary key, or a tenant's index when filtered by tenant), newest first
/// below a cursor, so a view never scans a table. The SQL runs on SQLite and PostgreSQL alike.
struct DashboardQueries: Sendable {
    let backend: any Backend

    struct BatchRow: Sendable {
        var sequence: Int64
        var id: String
        var tenant: String
    }

    struct MessageRow: Sendable {
        var sequence: Int64
        var id: String
        var tenant: String
        var channel: String
        var recipient: String
        var provider: String
        var status: String
        var body: String?
        var createdAt: Date
    }

    struct WalletRow: Sendable {
        var id: Int64
        var tenant: String
        var owner: String
        var balance: Int64
        var reserved: Int64
        var updatedAt: Date
    }

    /// Batches below `before` (their `seq`), optionally of one tenant (`inference_batches_tenant`).
    func batches(tenant: String?, before: Int64?, limit: Int) async throws -> [BatchRow] {
        let below = before ?? Int64.max
        return try await backend.read { tx in
            let query: SQL = tenant.map { tenant in
                "SELECT seq, id, tenant FROM inference_batches WHERE tenant = \(tenant) AND seq < \(below) ORDER BY seq DESC LIMIT \(limit)"
            } ?? "SELECT seq, id, tenant FROM inference_batches WHERE seq < \(below) ORDER BY seq DESC LIMIT \(limit)"
            return try tx.all(query) { row in BatchRow(sequence: row["seq"], id: row["id"], tenant: row["tenant"]) }
        }
    }

    /// Messages below `before` (their `seq`), optionally of one tenant (`messages_tenant`). A
    /// status filter applies to the same bounded window (`window` rows), like the jobs list.
    func messages(tenant: String?, status: String?, before: Int64?, limit: Int, window: Int = 5_000) async throws -> [MessageRow] {
        let below = before ?? Int64.max
        let scan = status == nil ? limit : max(limit, window)
        return try await backend.read { tx in
            let inner: SQL = tenant.map { tenant in
                "SELECT * FROM messages WHERE tenant = \(tenant) AND seq < \(below) ORDER BY seq DESC LIMIT \(scan)"
            } ?? "SELECT * FROM messages WHERE seq < \(below) ORDER BY seq DESC LIMIT \(scan)"
            // The filter only when there is one: a bare NULL parameter (`? IS NULL`) has no type on PostgreSQL.
            let filter: SQL = status.map { "WHERE status = \($0)" } ?? ""
            let query: SQL = """
                SELECT seq, id, tenant, channel, recipient, provider, status, body, created_at FROM (\(inner)) AS recent
                \(filter) ORDER BY seq DESC LIMIT \(limit)
                """
            return try tx.all(query) { row in
                MessageRow(sequence: row["seq"], id: row["id"], tenant: row["tenant"], channel: row["channel"], recipient: row["recipient"],
                           provider: row["provider"], status: row["status"], body: row["body"],
                           createdAt: Date(millisecondsSince1970: row["created_at"]))
            }
        }
    }

    /// Wallets below `before` (their id), optionally of one tenant (the `(tenant, owner)` index).
    func wallets(tenant: String?, before: Int64?, limit: Int) async throws -> [WalletRow] {
        let below = before ?? Int64.max
        return try await backend.read { tx in
            let query: SQL = tenant.map { tenant in
                "SELECT id, tenant, owner, balance, reserved, updated_at FROM wallets WHERE tenant = \(tenant) AND id < \(below) ORDER BY id DESC LIMIT \(limit)"
            } ?? "SELECT id, tenant, owner, balance, reserved, updated_at FROM wallets WHERE id < \(below) ORDER BY id DESC LIMIT \(limit)"
            return try tx.all(query) { row in
                WalletRow(id: row["id"], tenant: row["tenant"], owner: row["owner"], balance: row["balance"], reserved: row["reserved"],
                          updatedAt: Date(millisecondsSince1970: row["updated_at"]))
            }
        }
    }

    /// Jobs in each unfinished state, and failed and dead ones: each count reads a partial
    /// index of its state only (`jobs_ready`, `jobs_scheduled`, `jobs_running`, `jobs_problems`),
    /// never the finished jobs.
    func depth() async throws -> [String: Int] {
        try await backend.read { tx in
            var depth: [String: Int] = [:]
            for state in ["queued", "scheduled", "running"] {
                depth[state] = try tx.first("SELECT count(*) AS n FROM jobs WHERE state = \(state)") { row in row["n"] as Int } ?? 0
            }
            for state in ["failed", "dead"] {
                depth[state] = try tx.first("SELECT count(*) AS n FROM jobs WHERE state = \(state) AND state IN ('failed', 'dead')") { row in
                    row["n"] as Int
                } ?? 0
            }
            return depth
        }
    }

    /// How many messages wait in the outbox (its rows are few: only messages still to send).
    func outboxDepth() async throws -> Int {
                try await backend.read { tx in try tx.first("SELECT count(*) AS n FROM outbox") { row in row["n"] as Int } ?? 0 }
    }
}
