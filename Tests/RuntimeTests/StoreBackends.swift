import Foundation
import Synchronization
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

/// The PostgreSQL server the tests use: `SWITCHBOARD_TEST_POSTGRES_URL` when set, else a
/// throwaway cluster that `Scripts/postgres.sh` starts on a free loopback port the first
/// time a test asks, and stops when the test process exits. If it cannot start, the tests
/// that need it fail: nothing is skipped.
actor TestPostgres {
    static let shared = TestPostgres()
    /// The one start, shared by every test that asks while it runs.
    private var server: Task<PostgresURL, any Error>?

    func freshDatabase() async throws -> PostgresURL {
        let server = try await start()
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await PostgresBackend.createDatabase(name, on: server)
        var url = server
        url.database = name
        url.sessions = 4
        return url
    }

    private func start() async throws -> PostgresURL {
        if let server { return try await server.value }
        let task = Task { try await Self.startServer() }
        server = task
        return try await task.value
    }

    private static func startServer() async throws -> PostgresURL {
        let url: String
        if let given = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"], !given.isEmpty {
            url = given
        } else {
            let directory = NSTemporaryDirectory() + "switchboard-test-pg-\(UUID().uuidString)"
            url = try await onDedicatedThread(name: "test-pg-start") { try Self.script("start", directory) }
            TestPostgres.startedDirectory.withLock { $0 = directory }
            atexit {
                guard let directory = TestPostgres.startedDirectory.withLock({ $0 }) else { return }
                _ = try? TestPostgres.script("stop", directory)
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        return try PostgresURL(parsing: url)
    }

    private static let startedDirectory = Mutex<String?>(nil)

    /// Runs `Scripts/postgres.sh`; returns the last line it printed. Spawned and reaped with
    /// `posix_spawn`/`waitpid`: Foundation's `waitUntilExit` never returned here once the
    /// script had left a daemon (the cluster) behind.
    static func script(_ command: String, _ directory: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("Scripts/postgres.sh").path
        let outputPath = NSTemporaryDirectory() + "switchboard-pg-script-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup(path), strdup(command), strdup(directory), nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, arguments, environ)
        guard spawned == 0 else { throw TestFailure(message: "cannot run \(path): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else {
            throw TestFailure(message: "Scripts/postgres.sh \(command) failed (status \(status)): \(text)")
        }
        return text.split(separator: "\n").last.map(String.init) ?? ""
    }
}
