import Foundation
import Synchronization
public import Runtime

/// The PostgreSQL server the tests use: `SWITCHBOARD_TEST_POSTGRES_URL` when set, else a
/// throwaway cluster that `Scripts/postgres.sh` starts on a free loopback port the first
/// time a test asks, and stops when the test process exits. If it cannot start, the tests
/// that need it fail: nothing is skipped. Every test target shares this one fixture.
public actor TestPostgres {
    public static let shared = TestPostgres()
    /// The one start, shared by every test that asks while it runs.
    private var server: Task<PostgresURL, any Error>?

    /// A new, empty database on the shared server (4 sessions per backend opened on it).
    public func freshDatabase() async throws -> PostgresURL {
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
            url = try await Self.blocking { try Self.script("start", directory) }
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

    /// Runs a blocking body on a thread of its own, off the cooperative pool.
    public static func blocking<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withUnsafeThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = "test-postgres"
            thread.start()
        }
    }

    /// Runs `Scripts/postgres.sh`; returns the last line it printed. Spawned and reaped with
    /// `posix_spawn`/`waitpid`: Foundation's `waitUntilExit` never returned here once the
    /// script had left a daemon (the cluster) behind.
    public static func script(_ command: String, _ directory: String) throws -> String {
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
        guard spawned == 0 else { throw ScriptFailure(message: "cannot run \(path): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else {
            throw ScriptFailure(message: "Scripts/postgres.sh \(command) failed (status \(status)): \(text)")
        }
        return text.split(separator: "\n").last.map(String.init) ?? ""
    }

    /// `Scripts/postgres.sh` failed.
    public struct ScriptFailure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
