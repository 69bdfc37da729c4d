import Foundation
@testable import Jobs
import PostgresTestSupport
import Runtime
import Testing

/// The backends the batch store tests run on (the idea of RuntimeTests' `BackendKind`, which
/// this target cannot import): each such test takes one as its argument.
enum BatchBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A new database with the runtime's, the batches' and the webhooks' tables, opened by
    /// `instances` backends: on PostgreSQL each is a server instance of its own on the one
    /// database; SQLite is one process's file, so they are the same backend.
    func open(instances: Int = 1) async throws -> [any Backend] {
        switch self {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "switchboard-batch-store-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let store = try await SQLiteStore.open(
                StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: directory)),
                migrations: RuntimeSchema.migrations + WalletSchema.migrations + IdempotencySchema.migrations + JobCatalog.migrations)
            let backend = DirectorySQLiteBackend(directory: directory, store: store)
            return Array(repeating: backend, count: instances)
        case .postgres:
            let url = try await TestPostgres.shared.freshDatabase()
            var backends: [any Backend] = []
            for _ in 0..<instances { backends.append(try await PostgresBackend.open(url, migrations: Self.postgresMigrations)) }
            return backends
        }
    }

    /// Closes what `open` opened (the one SQLite backend once).
    func close(_ backends: [any Backend]) async {
        for backend in self == .sqlite ? Array(backends.prefix(1)) : backends { await backend.close() }
    }

    /// The runtime's and the batches' PostgreSQL tables, and the webhooks' that a batch's end
    /// writes to (a stand-in with the columns it uses while `WebhookSchema.postgres` is empty).
    static var postgresMigrations: [Migration] {
        PostgresSchema.migrations + BatchSchema.postgres + (WebhookSchema.postgres.isEmpty ? [webhookStandIn] : WebhookSchema.postgres)
    }

    static let webhookStandIn = Migration(version: 350, name: "tenant webhooks (test stand-in)", sql: """
        CREATE TABLE webhook_endpoints (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, url TEXT NOT NULL,
            events TEXT NOT NULL, secret TEXT NOT NULL, description TEXT, created_at BIGINT NOT NULL, deleted_at BIGINT
        );
        CREATE TABLE webhook_events (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, type TEXT NOT NULL,
            body TEXT NOT NULL, created_at BIGINT NOT NULL, traceparent TEXT
        );
        CREATE TABLE webhook_deliveries (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_seq BIGINT NOT NULL, endpoint_seq BIGINT NOT NULL,
            state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, due_at BIGINT, lease_owner TEXT, lease_until BIGINT,
            last_status BIGINT, last_error TEXT, created_at BIGINT NOT NULL, finished_at BIGINT, UNIQUE (event_seq, endpoint_seq)
        );
        """)
}

/// An SQLite backend that removes its directory when it goes.
final class DirectorySQLiteBackend: Backend {
    let directory: String
    let backend: SQLiteBackend

    init(directory: String, store: SQLiteStore) {
        self.directory = directory
        backend = SQLiteBackend(store: store)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var jobs: any JobStore { backend.jobs }
    var ledger: any LedgerRepository { backend.ledger }
    var health: StoreHealth { backend.health }
    func write<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value { try await backend.write(body) }
    func read<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value { try await backend.read(body) }
    func close() async { await backend.close() }
}
