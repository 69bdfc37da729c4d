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
        let owners = try await backend.read { tx -> Set<String> in
            // Newest first, a page at a time, until the rows are older than any mark can be.
            var owners = Set<String>()
            var before = Int64.max
            var more = true
            while more {
                var rows = 0
                try tx.forEach("""
                    SELECT id, lease_owner, created_at, state = 'in_flight' AND expires_at > \(now) AS held
                    FROM idempotency_keys WHERE id < \(before) ORDER BY id DESC LIMIT 1000
                    """) { row in
                    rows += 1
                    before = row["id"]
                    if (row["created_at"] as Int64) < since { more = false }
                    if row["held"], let owner: String = row["lease_owner"] { owners.insert(owner) }
                }
                if rows < 1_000 { more = false }
            }
            return owners
        }
        let me = owner
        let dead = owners.filter { !LeaseOwner.isAlive($0, me: me) }
        guard !dead.isEmpty else { return 0 }
        return try await backend.write { tx in
            try tx.run("DELETE FROM idempotency_keys WHERE state = 'in_flight' AND lease_owner IN (\(list: dead))")
        }
    }
}
