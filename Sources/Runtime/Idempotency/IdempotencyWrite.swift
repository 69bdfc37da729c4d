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

    /// Runs `writes` in order on the writer's connection; one outcome per write.
    static func apply(_ writes: [IdempotencyWrite], _ db: SQLiteConnection) throws -> [Outcome] {
        var statements = Statements(db: db)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(writes.count)
        for write in writes {
            switch write {
            case let .begin(tenant, key, fingerprint, owner, now, leaseUntil):
                outcomes.append(.decision(try begin(&statements, tenant: tenant, key: key, fingerprint: fingerprint, owner: owner,
                                                    now: now, leaseUntil: leaseUntil)))
            case let .complete(tenant, key, owner, fingerprint, status, headers, body, now, expiresAt):
                outcomes.append(.applied(try complete(&statements, tenant: tenant, key: key, owner: owner, fingerprint: fingerprint,
                                                      status: status, headers: headers, body: body, now: now, expiresAt: expiresAt)))
            case let .abandon(tenant, key, owner, fingerprint):
                outcomes.append(.applied(try abandon(&statements, tenant: tenant, key: key, owner: owner, fingerprint: fingerprint)))
            }
        }
        return outcomes
    }

    /// Claims the key if it is free (no row, or the row's `expires_at` has passed: a dead
    /// lease or an expired response); otherwise reports what holds it. An expired row is
    /// deleted and inserted again rather than updated, so that row ids stay in creation order
    /// (the purge relies on it).
    private static func begin(_ statements: inout Statements, tenant: String, key: String, fingerprint: Data, owner: String,
                              now: Int64, leaseUntil: Int64) throws -> IdempotencyDecision {
        func claim(_ statements: inout Statements) throws -> Bool {
            let insert = try statements(.claim)
            insert.bind(1, tenant)
            insert.bind(2, key)
            insert.bindBlob(3, fingerprint)
            insert.bind(4, owner)
            insert.bind(5, now)
            insert.bind(6, leaseUntil)
            try insert.run()
            return statements.db.changes == 1
        }
        if try claim(&statements) { return .proceed }
        // The key has a row; this transaction sees it.
        let held = try statements(.lookUp)
        held.bind(1, tenant)
        held.bind(2, key)
        held.bind(3, now)
        held.bindBlob(4, fingerprint)
        guard try held.step() else {
            throw StoreError(kind: .other, message: "an idempotency key was neither claimed nor found")
        }
        if held.int(1) != 0 {
            let remove = try statements(.removeExpired)
            remove.bind(1, held.int64(0))
            try remove.run()
            guard try claim(&statements) else {
                throw StoreError(kind: .other, message: "an expired idempotency key could not be claimed again")
            }
            return .proceed
        }
        guard held.int(3) != 0 else { return .mismatch }
        guard held.int(2) != 0 else { return .conflict }
        return .replay(StoredResponse(status: held.int(4), headers: HeaderLines.decode(held.string(5) ?? ""),
                                      body: held.data(6) ?? Data()))
    }

    private static func complete(_ statements: inout Statements, tenant: String, key: String, owner: String, fingerprint: Data?,
                                 status: Int, headers: String, body: Data, now: Int64, expiresAt: Int64) throws -> Bool {
        let store = try statements(.complete)
        store.bind(1, status)
        store.bind(2, headers)
        store.bindBlob(3, body)
        store.bind(4, now)
        store.bind(5, expiresAt)
        store.bind(6, tenant)
        store.bind(7, key)
        store.bind(8, owner)
        store.bindBlob(9, fingerprint)
        try store.run()
        return statements.db.changes == 1
    }

    private static func abandon(_ statements: inout Statements, tenant: String, key: String, owner: String,
                                fingerprint: Data?) throws -> Bool {
        let remove = try statements(.abandon)
        remove.bind(1, tenant)
        remove.bind(2, key)
        remove.bind(3, owner)
        remove.bindBlob(4, fingerprint)
        try remove.run()
        return statements.db.changes == 1
    }
}

/// The statements of the idempotency writes.
private enum IdempotencySQL: Int, CaseIterable {
    case claim, lookUp, removeExpired, complete, abandon

    var text: String {
        switch self {
        case .claim: """
            INSERT INTO idempotency_keys (tenant, key, fingerprint, state, lease_owner, created_at, expires_at)
            VALUES (?1, ?2, ?3, 'in_flight', ?4, ?5, ?6) ON CONFLICT (tenant, key) DO NOTHING
            """
        case .lookUp: """
            SELECT id, expires_at <= ?3, state = 'completed', fingerprint = ?4, status, headers, body
            FROM idempotency_keys WHERE tenant = ?1 AND key = ?2
            """
        case .removeExpired: "DELETE FROM idempotency_keys WHERE id = ?1"
        case .complete: """
            UPDATE idempotency_keys
            SET state = 'completed', lease_owner = NULL, status = ?1, headers = ?2, body = ?3, completed_at = ?4, expires_at = ?5
            WHERE tenant = ?6 AND key = ?7 AND state = 'in_flight' AND lease_owner = ?8 AND (?9 IS NULL OR fingerprint = ?9)
            """
        case .abandon: """
            DELETE FROM idempotency_keys
            WHERE tenant = ?1 AND key = ?2 AND state = 'in_flight' AND lease_owner = ?3 AND (?4 IS NULL OR fingerprint = ?4)
            """
        }
    }
}

/// A batch's prepared statements, looked up in the connection's cache once per batch (the
/// lookup hashes the whole SQL text) and reset before each later use.
private struct Statements {
    let db: SQLiteConnection
    private var cache = [SQLiteStatement?](repeating: nil, count: IdempotencySQL.allCases.count)

    init(db: SQLiteConnection) { self.db = db }

    mutating func callAsFunction(_ sql: IdempotencySQL) throws -> SQLiteStatement {
        if let statement = cache[sql.rawValue] {
            statement.reset()
            return statement
        }
        let statement = try db.statement(sql.text)
        cache[sql.rawValue] = statement
        return statement
    }
}
