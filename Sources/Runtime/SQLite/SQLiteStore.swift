import CSQLite
import Foundation
import Tracing
public import Logging

/// The SQLite database: one group-committing writer, a pool of readers and a background
/// checkpointer, all on dedicated threads. Opening applies the pending migrations. Every write
/// is durable (per the configured `synchronous` level) when `write` returns.
public final class SQLiteStore: Sendable {
    public let configuration: StoreConfiguration
    let writer: GroupCommitWriter
    private let readers: ReaderPool
    let checkpointer: Checkpointer?
    /// Damaged pages and refused writes seen since opening (health checks read it).
    public let health: StoreHealth

    private init(configuration: StoreConfiguration, writer: GroupCommitWriter, readers: ReaderPool, checkpointer: Checkpointer?,
                 health: StoreHealth) {
        self.configuration = configuration
        self.writer = writer
        self.readers = readers
        self.checkpointer = checkpointer
        self.health = health
    }

    /// Process-wide SQLite settings, applied before the first connection opens.
    private static let configureLibraryOnce: Void = { _ = csqlite_disable_memory_statistics() }()

    /// Opens (creating if needed) the database, checks it (`PRAGMA quick_check`, unless
    /// `configuration.checkAtOpen` is off) and brings its schema up to date. A damaged file, a
    /// read-only directory or a full disk is refused with a message that names the path and says
    /// what to do. `logger` hears of problems seen later (see `health`).
    public static func open(_ configuration: StoreConfiguration, migrations: [Migration], logger: Logger? = nil) async throws -> SQLiteStore {
        let opened = try await onDedicatedThread(name: "sqlite-open") {
            _ = configureLibraryOnce
            return try openConnections(configuration, migrations: migrations)
        }
        let writer = GroupCommitWriter(connection: opened.writer, name: "sqlite-writer")
        let readers = ReaderPool(connections: opened.readers, name: "sqlite-reader")
        let checkpointer = opened.checkpointer.map {
            Checkpointer(connection: $0, interval: configuration.checkpointInterval, name: "sqlite-checkpoint")
        }
        return SQLiteStore(configuration: configuration, writer: writer, readers: readers, checkpointer: checkpointer,
                           health: StoreHealth(path: configuration.path, logger: logger))
    }

    /// Runs `body` in the next group commit; returns its value once the commit is durable.
    /// A body that throws has its own changes rolled back and does not affect other callers.
    /// A body may run more than once (when another body of its group throws, the group runs
    /// again with savepoints), so it must keep its effects inside the database.
    public func write<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> Value) async throws -> Value {
        if configuration.readOnly {
            throw StoreError(kind: .readOnly, message: "the store at \(configuration.path) was opened read-only")
        }
        do {
            // The writer thread runs `body` outside this task: the task's trace context goes
            // with it, so rows written there (jobs, events) can record the trace (`TraceParent.of()`).
            let context = ServiceContext.current
            let value = try await writer.write { db in try ServiceContext.withValue(context) { try body(db) } }
            health.writeCommitted(changingCommits: writer.changingCommits)
            return value
        } catch {
            health.record(error, changingCommits: writer.changingCommits)
            throw error
        }
    }

    /// Runs `body` on a read-only connection (it sees every commit that finished before).
    public func read<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> Value) async throws -> Value {
        do {
            return try await readers.read(body)
        } catch {
            health.record(error)
            throw error
        }
    }

    /// Group commits and writes so far.
    public var statistics: StoreStatistics { writer.statistics }

    /// Finishes queued work and closes every connection. The writer closes last, after a
    /// TRUNCATE checkpoint: everything is in the database file and the WAL is empty, so a copy
    /// of the file alone is a complete backup.
    public func close() async {
        let writer = self.writer, readers = self.readers, checkpointer = self.checkpointer
        _ = try? await onDedicatedThread(name: "sqlite-close") {
            checkpointer?.close()
            readers.close()
            writer.close()
        }
    }
}

// The blocking part of opening, run on a dedicated thread.
private struct OpenedConnections: @unchecked Sendable {
    // @unchecked: the connections are handed from the opening thread to their owning threads
    // and are not used by anyone in between.
    let writer: SQLiteConnection
    let readers: [SQLiteConnection]
    let checkpointer: SQLiteConnection?
}

private func openConnections(_ configuration: StoreConfiguration, migrations: [Migration]) throws -> OpenedConnections {
    do {
        return try openConnectionsUnexplained(configuration, migrations: migrations)
    } catch let error as StoreError {
        throw error.explained(path: configuration.path)
    }
}

private func openConnectionsUnexplained(_ configuration: StoreConfiguration, migrations: [Migration]) throws -> OpenedConnections {
    let path = configuration.path
    if !configuration.readOnly, !path.hasPrefix("file:"), path != ":memory:" {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(kind: .cannotOpen, message: "cannot create the directory \(directory): \(error.localizedDescription)")
        }
    }
    let writer = try SQLiteConnection(path: path, readOnly: configuration.readOnly,
                                      busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
    try writer.execute("PRAGMA journal_mode = WAL")
    try writer.execute("PRAGMA synchronous = \(configuration.synchronous.rawValue.uppercased())")
    try writer.execute("PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 65536; PRAGMA foreign_keys = ON")
    if configuration.checkAtOpen {
        let problems = try writer.integrityProblems(quick: true)
        guard problems.isEmpty else {
            throw StoreError(kind: .corrupt, resultCode: SQLITE_CORRUPT, message: "PRAGMA quick_check found: " + problems.prefix(5).joined(separator: "; "))
        }
    }
    try Migrator(connection: writer, readOnly: configuration.readOnly).apply(migrations)
    var readers: [SQLiteConnection] = []
    for _ in 0..<configuration.readerCount {
        let reader = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        try reader.execute("PRAGMA cache_size = -16384; PRAGMA query_only = ON")
        readers.append(reader)
    }
    var checkpointer: SQLiteConnection?
    if !configuration.readOnly {
        let connection = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMilliseconds: 0)
        try connection.execute("PRAGMA synchronous = \(configuration.synchronous.rawValue.uppercased()); PRAGMA cache_size = -2048")
        checkpointer = connection
    }
    return OpenedConnections(writer: writer, readers: readers, checkpointer: checkpointer)
}
