/// The embedded backend: one SQLite file in WAL mode, written by the group-committing writer
/// thread, read by the reader pool (`SQLiteStore`).
public final class SQLiteBackend: Backend {
    /// The SQLite store itself, for the code that still speaks SQLite directly (batches,
    /// messaging, templates, backup and check).
    public let store: SQLiteStore
    public let jobs: any JobStore
    public let ledger: any LedgerRepository
    /// The same job store as `jobs`, with its SQLite-only operations (batch queries, `alongside` writes).
    public let sqliteJobs: SQLiteJobStore

    public init(store: SQLiteStore) {
        self.store = store
        let jobs = SQLiteJobStore(database: store)
        self.jobs = jobs
        sqliteJobs = jobs
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
