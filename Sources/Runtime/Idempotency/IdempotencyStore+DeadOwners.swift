import Foundation

extension IdempotencyStore {
    /// The longest an in-flight mark can be held (the longest request deadline, 600 s, with room):
    /// marks older than this have expired anyway, so the start-up scan stops there.
    static let longestMark: Duration = .seconds(3_600)

    /// Frees the in-flight marks of processes of this host that no longer run (a `kill -9` or a
    /// crash), so a retry after the restart runs at once instead of a 409 until their lease ends.
    /// Marks of live processes and of other hosts keep their lease. Reads only the newest rows
    /// (in-flight marks are among the rows created within `longestMark`); returns how many
    /// marks it freed.
    @discardableResult
    public func releaseMarksOfDeadProcesses() async throws -> Int {
        let now = clock.nowMilliseconds()
        let since = now - Self.longestMark.milliseconds
        let owners = try await database.read { db -> Set<String> in
            var owners = Set<String>()
            let statement = try db.prepared("""
                SELECT lease_owner, created_at, state = 'in_flight' AND expires_at > \(now) AS held
                FROM idempotency_keys ORDER BY id DESC
                """)
            defer { statement.reset() }
            while try statement.step() {
                let row = SQLRow(statement: statement)
                guard row["created_at"] as Int64 >= since else { break }
                if row["held"], let owner: String = row["lease_owner"] { owners.insert(owner) }
            }
            return owners
        }
        let me = owner
        let dead = owners.filter { !LeaseOwner.isAlive($0, me: me) }
        guard !dead.isEmpty else { return 0 }
        return try await database.write { db in
            try db.run("DELETE FROM idempotency_keys WHERE state = 'in_flight' AND lease_owner IN (\(list: dead))")
        }
    }
}
