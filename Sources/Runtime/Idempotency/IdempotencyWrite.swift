import Foundation

/// One write of the idempotency store, already validated, with its times fixed by the caller;
/// `apply` runs a batch of them on the writer thread, inside one transaction. Each is one
/// statement on the (tenant, key) index; `begin` adds a lookup when the key has a row, and a
/// delete and a second insert when that row has expired.
enum IdempotencyWrite: Sendable {
    case begin(tenant: String, key: String, fingerprint: Data, owner: String, now: Int64, leaseUntil: Int64)
    case complete(tenant: String, key: String, owner: String, fingerprint: Data?, status: Int, headers: String, body: Data,
                  now: Int64, expiresAt: Int64)
    case abandon(tenant: String, key: String, owner: String, fingerprint: Data?)

    enum Outcome: Sendable {
        case decision(IdempotencyDecision)
        /// Whether `complete` or `abandon` changed the row.
        case applied(Bool)
    }

    /// Runs `writes` in order inside one transaction; one outcome per write.
    static func apply(_ writes: [IdempotencyWrite], _ tx: Transaction) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(writes.count)
        for write in writes {
            switch write {
            case let .begin(tenant, key, fingerprint, owner, now, leaseUntil):
                outcomes.append(.decision(try begin(tx, tenant: tenant, key: key, fingerprint: fingerprint, owner: owner,
                                                    now: now, leaseUntil: leaseUntil)))
            case let .complete(tenant, key, owner, fingerprint, status, headers, body, now, expiresAt):
                outcomes.append(.applied(try tx.run("""
                    UPDATE idempotency_keys
                    SET state = 'completed', lease_owner = NULL, status = \(status), headers = \(headers), body = \(body),
                        completed_at = \(now), expires_at = \(expiresAt)
                    WHERE tenant = \(tenant) AND key = \(key) AND state = 'in_flight' AND lease_owner = \(owner)\(sameRequest(fingerprint))
                    """) == 1))
            case let .abandon(tenant, key, owner, fingerprint):
                outcomes.append(.applied(try tx.run("""
                    DELETE FROM idempotency_keys
                    WHERE tenant = \(tenant) AND key = \(key) AND state = 'in_flight' AND lease_owner = \(owner)\(sameRequest(fingerprint))
                    """) == 1))
            }
        }
        return outcomes
    }

    /// The condition that the key is held for the request with `fingerprint` (none: any request).
    private static func sameRequest(_ fingerprint: Data?) -> SQL {
        fingerprint.map { " AND fingerprint = \($0)" } ?? ""
    }

    /// Claims the key if it is free (no row, or the row's `expires_at` has passed: a dead
    /// lease or an expired response); otherwise reports what holds it. An expired row is
    /// deleted and inserted again rather than updated, so that row ids stay in creation order
    /// (the purge relies on it). On PostgreSQL a claim by another instance that has not
    /// committed yet makes this one wait for it, then see it: one of them proceeds.
    private static func begin(_ tx: Transaction, tenant: String, key: String, fingerprint: Data, owner: String,
                              now: Int64, leaseUntil: Int64) throws -> IdempotencyDecision {
        func claim() throws -> Bool {
            try tx.run("""
                INSERT INTO idempotency_keys (tenant, key, fingerprint, state, lease_owner, created_at, expires_at)
                VALUES (\(tenant), \(key), \(fingerprint), 'in_flight', \(owner), \(now), \(leaseUntil))
                ON CONFLICT (tenant, key) DO NOTHING
                """) == 1
        }
        if try claim() { return .proceed }
        // The key has a row; this transaction sees it.
        let held = try tx.first("""
            SELECT id, expires_at <= \(now) AS expired, state = 'completed' AS completed, fingerprint = \(fingerprint) AS same,
                   status, headers, body
            FROM idempotency_keys WHERE tenant = \(tenant) AND key = \(key)\(raw: tx.dialect.forUpdate)
            """) { row in
            (id: row["id"] as Int64, expired: row["expired"] as Bool, completed: row["completed"] as Bool, same: row["same"] as Bool,
             response: StoredResponse(status: row["status"], headers: HeaderLines.decode(row["headers"]), body: row["body"]))
        }
        guard let held else {
            // Deleted between the two statements (abandoned or purged): the next begin claims it.
            return .conflict
        }
        if held.expired {
            // Another request may take an expired key at the same moment: whoever deletes it claims it.
            guard try tx.run("DELETE FROM idempotency_keys WHERE id = \(held.id) AND expires_at <= \(now)") == 1, try claim() else {
                return .conflict
            }
            return .proceed
        }
        guard held.same else { return .mismatch }
        guard held.completed else { return .conflict }
        return .replay(held.response)
    }
}
