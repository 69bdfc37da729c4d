/// The embedded backend: one SQLite file in WAL mode, written by the group-committing writer
/// thread, read by the reader pool (`SQLiteStore`).
public final class SQLiteBackend: Backend {
    /// The SQLite store itself, for what only SQLite has (backup, check, group-commit statistics).
    public let store: SQLiteStore
    public let jobs: any JobStore
    public let ledger: any LedgerRepository

    public init(store: SQLiteStore) {
        self.store = store
        jobs = SQLiteJobStore(database: store)
        ledger = SQLLedger()
    }

    public func write<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value {
        try await store.write { try body(Transaction($0)) }
    }

    public func read<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value {
        try await store.read { try body(Transaction($0)) }
    }

    public var health: StoreHealth { store.health }

    public func close() async { await store.close() }
}
