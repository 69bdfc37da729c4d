import Foundation
import PostgresTestSupport
import Testing
@testable import Runtime

/// The backends the store tests run on: each such test takes one as its argument, so every
/// repository rule is checked on SQLite and on PostgreSQL alike.
enum BackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A new, empty database of this kind.
    func database() async throws -> TestDatabase {
        switch self {
        case .sqlite: TestDatabase(kind: self, directory: TemporaryDirectory(), url: nil)
        case .postgres: TestDatabase(kind: self, directory: nil, url: try await TestPostgres.shared.freshDatabase())
        }
    }

    /// A new database with the runtime's job and wallet tables.
    func openRuntime() async throws -> any Backend { try await database().openRuntime() }
}

/// A test's database, which it may open more than once (a restart opens the same one again).
struct TestDatabase: Sendable {
    let kind: BackendKind
    let directory: TemporaryDirectory?
    let url: PostgresURL?

    /// Opens it with `sqlite` or `postgres` migrations applied, as its kind needs.
    func open(sqlite: [Migration], postgres: [Migration]) async throws -> any Backend {
        if let directory {
            let store = try await SQLiteStore.open(StoreConfiguration(path: directory.databasePath), migrations: sqlite)
            return TemporarySQLiteBackend(directory: directory, store: store)
        }
        return try await PostgresBackend.open(url!, migrations: postgres)
    }

    /// Opens it with the runtime's job and wallet tables.
    func openRuntime() async throws -> any Backend {
        try await open(sqlite: RuntimeSchema.migrations + WalletSchema.migrations, postgres: PostgresSchema.migrations)
    }
}

/// An SQLite backend that keeps its temporary directory alive as long as it is.
final class TemporarySQLiteBackend: Backend {
    let directory: TemporaryDirectory
    let backend: SQLiteBackend

    init(directory: TemporaryDirectory, store: SQLiteStore) {
        self.directory = directory
        backend = SQLiteBackend(store: store)
    }

    var jobs: any JobStore { backend.jobs }
    var ledger: any LedgerRepository { backend.ledger }
    var health: StoreHealth { backend.health }
    func write<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value { try await backend.write(body) }
    func read<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value { try await backend.read(body) }
    func close() async { await backend.close() }
}
