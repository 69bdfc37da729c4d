import CSQLite
import Foundation

/// The SQLite database: one group-committing writer, a pool of readers and a background
/// checkpointer, all on dedicated threads. Opening applies the pending migrations. Every write
/// is durable (per the configured `synchronous` level) when `write` returns.
public final class SQLiteStore: Sendable {
    public let configuration: StoreConfiguration
    let writer: GroupCommitWriter
    private let readers: ReaderPool
    let checkpointer: Checkpointer?

    private init(configuration: StoreConfiguration, writer: GroupCommitWriter, readers: ReaderPool, checkpointer: Checkpointer?) {
        self.configuration = configuration
        self.writer = writer
        self.readers = readers
        self.checkpointer = checkpointer
    }

    /// Process-wide SQLite settings, applied before the first connection opens.
    private static let configureLibraryOnce: Void = { _ = csqlite_disable_memory_statistics() }()

    /// Opens (creating if needed) the database and brings its schema up to date.
    public static func open(_ configuration: StoreConfiguration, migrations: [Migration]) async throws -> SQLiteStore {
        let opened = try await onDedicatedThread(name: "sqlite-open") {
            _ = configureLibraryOnce
            return try openConnections(configuration, migrations: migrations)
        }
        let writer = GroupCommitWriter(connection: opened.writer, name: "sqlite-writer")
        let readers = ReaderPool(connections: opened.readers, name: "sqlite-reader")
        let checkpointer = opened.checkpointer.map {
            Checkpointer(connection: $0, interval: configuration.checkpointInterval, name: "sqlite-checkpoint")
        }
        return SQLiteStore(configuration: configuration, writer: writer, readers: readers, checkpointer: checkpointer)
    }

    /// Runs `body` in the next group commit; returns its value once the commit is durable.
    /// A body that throws has its own changes rolled back and does not affect other callers.
    /// A body may run more than once (when another body of its group throws, the group runs
    /// again with savepoints), so it must keep its effects inside the database.
    public func write<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> Value) async throws -> Value {
        if configuration.readOnly {
            throw StoreError(kind: .readOnly, message: "the store at \(configuration.path) was opened read-only")
        }
        return try await writer.write(body)
    }

    /// Runs `body` on a read-only connection (it sees every commit that finished before).
    public func read<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> Value) async throws -> Value {
        try await readers.read(body)
    }

    /// Group commits and writes so far.
    public var statistics: StoreStatistics { writer.statistics }

    /// Finishes queued work and closes every connection.
    public func close() async {
        let writer = self.writer, readers = self.readers, checkpointer = self.checkpointer
        _ = try? await onDedicatedThread(name: "sqlite-close") {
            checkpointer?.close()
            writer.close()
            readers.close()
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
    do {
        try writer.execute("PRAGMA journal_mode = WAL")
        try writer.execute("PRAGMA synchronous = \(configuration.synchronous.rawValue.uppercased())")
        try writer.execute("PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 65536; PRAGMA foreign_keys = ON")
        try Migrator(connection: writer, readOnly: configuration.readOnly).apply(migrations)
    } catch let error as StoreError {
        throw explained(error, path: path)
    }
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

/// Turns the first error a bad file gives into a message an operator can act on.
private func explained(_ error: StoreError, path: String) -> StoreError {
    let advice: String
    switch error.kind {
    case .corrupt: advice = "the file at \(path) is not a SQLite database or is damaged; restore it from a backup or move it aside"
    case .readOnly: advice = "the database at \(path) cannot be written; check the file's and directory's permissions and the disk"
    case .diskFull: advice = "the disk holding \(path) is full"
    case .busy: advice = "another process holds a lock on \(path)"
    default: return error
    }
    return StoreError(kind: error.kind, resultCode: error.resultCode, message: "\(advice) (\(error.message))", sql: error.sql)
}
