/// A numbered schema change. Migrations run in order at open, each in its own transaction,
/// and are recorded in `schema_migrations` so each runs once per database file.
public struct Migration: Sendable {
    /// Sorts the migrations; unique across all modules (e.g. 100s for the runtime).
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
