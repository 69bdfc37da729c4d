import Foundation
public import Logging
import NIOCore
import PostgresNIO
import Synchronization
import Tracing

/// The PostgreSQL backend, for several instances on one database. It keeps `sessions`
/// connections, each owned by a dedicated thread that runs transaction bodies one at a time
/// (the seam's bodies are synchronous, so a body's statements wait for the server on that
/// thread, never on the cooperative pool). A lost connection is reopened for the next body;
/// while the server cannot be reached every call fails at once with `unavailable`.
///
/// Transactions run at READ COMMITTED. The repositories decide money and leases with
/// conditional statements and row locks (`FOR UPDATE`, `SKIP LOCKED`), so what one instance
/// commits the others see, and nothing authoritative is cached in memory. A body that meets a
/// deadlock or a serialization failure runs again, so it must keep its effects inside the
/// transaction (the same promise the SQLite backend asks for).
public final class PostgresBackend: Backend {
    public let url: PostgresURL
    public let jobs: any JobStore
    public let ledger: any LedgerRepository
    public var health: StoreHealth { sessions.health }
    let sessions: PostgresSessions

    private let configuration: PostgresConnection.Configuration

    private init(url: PostgresURL, configuration: PostgresConnection.Configuration, sessions: PostgresSessions) {
        self.url = url
        self.configuration = configuration
        self.sessions = sessions
        jobs = PostgresJobStore(sessions: sessions)
        ledger = PostgresLedger()
    }

    /// Connects, applies the pending `migrations` (under an advisory lock, so instances that
    /// start together migrate once) and starts the sessions. An unreachable server, a refused
    /// login or a failed migration throws at once, naming the URL without its password.
    public static func open(_ url: PostgresURL, migrations: [Migration], logger: Logger? = nil) async throws -> PostgresBackend {
        let log = logger ?? Logger(label: "switchboard.postgres")
        // Off the cooperative pool: a TLS context may read the system's CA certificates.
        let configuration = try await onDedicatedThread(name: "postgres-open") {
            let configuration = try url.connectionConfiguration()
            let session = PostgresSession(configuration: configuration, id: 0, logger: log)
            defer { session.close() }
            do {
                _ = try session.connected()
            } catch let error as StoreError {
                throw StoreError(kind: error.kind == .unavailable ? .cannotOpen : error.kind,
                                 message: "cannot connect to \(url): \(error.message)")
            }
            try PostgresMigrator(session: session).apply(migrations)
            return configuration
        }
        let sessions = PostgresSessions(configuration: configuration, count: url.sessions,
                                        health: StoreHealth(path: url.description, logger: logger), logger: log)
        return PostgresBackend(url: url, configuration: configuration, sessions: sessions)
    }

    /// Creates the database `name` (lower-case letters, digits and `_`) on `server`'s cluster.
    public static func createDatabase(_ name: String, on server: PostgresURL) async throws {
        try await administer("CREATE DATABASE \(try checked(name))", on: server)
    }

    /// Drops the database `name` on `server`'s cluster, closing its other connections.
    public static func dropDatabase(_ name: String, on server: PostgresURL) async throws {
        try await administer("DROP DATABASE IF EXISTS \(try checked(name)) WITH (FORCE)", on: server)
    }

    private static func checked(_ name: String) throws -> String {
        guard !name.isEmpty, name.count <= 63, name.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f })
        else { throw StoreError(kind: .other, message: "'\(name)' is not a database name this tool makes (a–z, 0–9, _)") }
        return name
    }

    /// Runs `statement` outside a transaction (CREATE/DROP DATABASE cannot run inside one).
    private static func administer(_ statement: String, on server: PostgresURL) async throws {
        try await onDedicatedThread(name: "postgres-admin") {
            let configuration = try server.connectionConfiguration()
            let session = PostgresSession(configuration: configuration, id: 0, logger: Logger(label: "switchboard.postgres"))
            defer { session.close() }
            try session.execute(statement)
        }
    }

    public func write<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value {
        try await sessions.transaction(readOnly: false, body)
    }

    public func write<Value: Sendable>(grouping group: String, _ body: @escaping @Sendable (Transaction) throws -> Value)
        async throws -> Value {
        try await sessions.transaction(grouping: group, body)
    }

    public func read<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value {
        try await sessions.transaction(readOnly: true, body)
    }

    /// Lets the queued bodies finish, then closes every connection.
    public func close() async { await sessions.close() }

    /// LISTENs for other instances' queued work (`PostgresWakeups`), unless the URL asked to poll.
    public func watchForWork(_ onWork: @escaping @Sendable () -> Void) async {
        guard url.wakeups == .notify else { return }
        await PostgresWakeups(configuration: configuration, logger: Logger(label: "switchboard.postgres.wakeups")).run(onWork)
    }

    public var idleRecheck: Duration? { url.wakeups == .notify ? .seconds(5) : .milliseconds(500) }
}

/// The backend's connections, each owned by a dedicated thread that takes the next queued
/// transaction body and runs it: BEGIN, the body, COMMIT (ROLLBACK when it throws).
final class PostgresSessions: Sendable {
    let health: StoreHealth
    private let work = BlockingQueue<@Sendable (PostgresSession) -> Void>()
    let groups = PostgresWriteGroups()
    private let finished = DispatchSemaphore(value: 0)
    private let count: Int

    init(configuration: PostgresConnection.Configuration, count: Int, health: StoreHealth, logger: Logger) {
        self.health = health
        self.count = count
        for index in 1...count {
            let session = PostgresSession(configuration: configuration, id: index, logger: logger)
            let thread = Thread { [work, finished] in
                while let item = work.popOne() { item(session) }
                session.close()
                finished.signal()
            }
            thread.name = "postgres-\(index)"
            thread.start()
        }
    }

    /// Runs `body` in a transaction on the next free session. `durable: false` commits without
    /// waiting for the WAL flush (`synchronous_commit = off`): only for writes whose loss in a
    /// server crash is harmless, like a claim (its jobs' leases expire and they run again,
    /// as if their worker had died); never for an acknowledged enqueue, an outcome or money.
    func transaction<Value: Sendable>(readOnly: Bool, durable: Bool = true, _ body: @escaping @Sendable (Transaction) throws -> Value)
        async throws -> Value {
        let context = ServiceContext.current
        do {
            return try await withUnsafeThrowingContinuation { continuation in
                let queued = work.push { session in
                    continuation.resume(with: Result {
                        try ServiceContext.withValue(context) { try Self.run(readOnly: readOnly, durable: durable, body, on: session) }
                    })
                }
                if !queued { continuation.resume(throwing: StoreError(kind: .closed, message: "the store is closed")) }
            }
        } catch {
            health.record(error)
            throw error
        }
    }

    /// Queues `item` for the next free session; false once closed.
    func enqueue(_ item: @escaping @Sendable (PostgresSession) -> Void) -> Bool { work.push(item) }

    /// One transaction on `session`. A deadlock or serialization failure runs the whole
    /// transaction again (a few times); a lost connection fails it (`unavailable`).
    static func run<Value>(readOnly: Bool, durable: Bool, _ body: (Transaction) throws -> Value, on session: PostgresSession) throws
        -> Value {
        var attempt = 0
        while true {
            attempt += 1
            do {
                try session.send(readOnly ? "BEGIN READ ONLY" : "BEGIN")
                if !durable { try session.send("SET LOCAL synchronous_commit = off") }
                do {
                    let value = try body(Transaction(session))
                    try session.commit()
                    return value
                } catch {
                    if session.isBroken { session.close() } else { try? session.execute("ROLLBACK") }
                    throw error
                }
            } catch let error as StoreError where error.kind == .busy && attempt < 5 {
                continue
            }
        }
    }

    func close() async {
        work.close()
        let count = self.count, finished = self.finished
        _ = try? await onDedicatedThread(name: "postgres-close") {
            for _ in 0..<count { finished.wait() }
        }
    }
}

/// Applies numbered migrations in one transaction under an advisory lock, recording each in
/// `schema_migrations`. Instances that start together wait for each other on the lock, and
/// the later ones find nothing left to do.
struct PostgresMigrator {
    let session: PostgresSession
    /// The advisory lock key every instance takes to migrate ("swbd" in ASCII).
    static let lockKey: Int64 = 0x7377_6264

    func apply(_ migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        if let duplicate = zip(sorted, sorted.dropFirst()).first(where: { $0.version == $1.version }) {
            throw StoreError(kind: .schema, message: "two migrations share version \(duplicate.0.version)")
        }
        try session.execute("BEGIN")
        do {
            try session.run("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            try session.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """)
            var applied = Set<Int>()
            try session.forEach("SELECT version FROM schema_migrations") { applied.insert($0["version"] as Int) }
            for migration in sorted where !applied.contains(migration.version) {
                do { try session.execute(migration.sql) } catch {
                    throw StoreError(kind: .schema, message: "migration \(migration.version) (\(migration.name)) failed: \(error)")
                }
                try session.run("""
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(migration.version), \(migration.name), \(Date().millisecondsSince1970))
                    """)
            }
            try session.execute("COMMIT")
        } catch {
            if session.isBroken { session.close() } else { try? session.execute("ROLLBACK") }
            throw error
        }
    }
}

extension PostgresURL {
    /// How postgres-nio connects to it: TLS as `tls` says, and a 5-second connect timeout so an
    /// unreachable server is an error, not a hang. Throws when the TLS settings cannot be used
    /// (an unreadable `sslrootcert`).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: username, password: password,
                                                             database: database, tls: try tlsConfiguration())
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    private func tlsConfiguration() throws -> PostgresConnection.Configuration.TLS {
        guard tls != .disable else { return .disable }
        var settings = TLSConfiguration.makeClientConfiguration()
        settings.certificateVerification = switch tls {
        case .disable, .prefer: .none
        case .require: rootCertificates == nil ? .none : .noHostnameVerification
        case .verifyCA: .noHostnameVerification
        case .verifyFull: .fullVerification
        }
        // Nothing is verified without a root file in these modes: no trust store to load.
        if settings.certificateVerification == .none { settings.trustRoots = .certificates([]) }
        if let rootCertificates {
            guard FileManager.default.isReadableFile(atPath: rootCertificates) else {
                throw StoreError(kind: .cannotOpen, message: "sslrootcert \(rootCertificates) cannot be read")
            }
            settings.trustRoots = .file(rootCertificates)
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: settings) } catch {
            throw StoreError(kind: .cannotOpen, message: "the TLS settings for \(self) cannot be used: \(error)")
        }
        return tls == .prefer ? .prefer(context) : .require(context)
    }
}
