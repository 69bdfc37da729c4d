/// Applies numbered migrations in order, each in its own transaction, recording each in
/// `schema_migrations`. A read-only store only checks that nothing is pending.
struct Migrator {
    let connection: SQLiteConnection
    let readOnly: Bool

    func apply(_ migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        if let duplicate = zip(sorted, sorted.dropFirst()).first(where: { $0.version == $1.version }) {
            throw StoreError(kind: .schema, message: "two migrations share version \(duplicate.0.version)")
        }
        let applied = try appliedVersions()
        let pending = sorted.filter { !applied.contains($0.version) }
        if readOnly {
            guard pending.isEmpty else {
                throw StoreError(kind: .schema, message: "the database needs \(pending.count) migration(s); open it read-write once to migrate")
            }
            return
        }
        for migration in pending {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute(migration.sql)
                let record = try connection.statement("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%s','now'))")
                record.bind(1, migration.version)
                record.bind(2, migration.name)
                try record.run()
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw StoreError(kind: .schema, message: "migration \(migration.version) (\(migration.name)) failed: \(error)")
            }
        }
    }

    private func appliedVersions() throws -> Set<Int> {
        if !readOnly {
            try connection.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)")
        }
        guard try connection.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") == 1 else { return [] }
        let select = try connection.statement("SELECT version FROM schema_migrations")
        var versions = Set<Int>()
        while try select.step() { versions.insert(select.int(0)) }
        return versions
    }
}
