import CSQLite
import Foundation

/// Operator tools on a database file: the integrity check and the online backup. Both work
/// while a server is serving the same file (WAL lets them read a consistent snapshot beside
/// the writer) and run on a thread of their own, never on the cooperative pool.
extension SQLiteStore {
    /// Runs `PRAGMA integrity_check` (or the faster `quick_check`) on the file at `path`, opened
    /// read-only. Returns what SQLite found wrong; empty means the file is sound. A file that
    /// cannot be read as a database is one problem, not an error.
    public static func integrityProblems(databaseAt path: String, quick: Bool = false) async throws -> [String] {
        try await onDedicatedThread(name: "sqlite-check") {
            guard FileManager.default.fileExists(atPath: path) else {
                throw StoreError(kind: .cannotOpen, message: "there is no database at \(path)")
            }
            let connection = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMilliseconds: 5_000)
            defer { connection.close() }
            do {
                return try connection.integrityProblems(quick: quick)
            } catch let error as StoreError where error.kind == .corrupt {
                return [error.message]
            }
        }
    }

    /// Copies the database at `path` into a new file `destination` with SQLite's online backup
    /// API: a consistent snapshot that includes what is still in the WAL, taken while a server
    /// may be writing. The copy is written beside `destination` and renamed into place once
    /// complete and checked, so a failed backup never leaves a half file under that name.
    /// Refuses to overwrite an existing file. Returns the copy's size in bytes.
    @discardableResult
    public static func backup(databaseAt path: String, to destination: String) async throws -> Int64 {
        try await onDedicatedThread(name: "sqlite-backup") {
            guard FileManager.default.fileExists(atPath: path) else {
                throw StoreError(kind: .cannotOpen, message: "there is no database at \(path)")
            }
            guard !FileManager.default.fileExists(atPath: destination) else {
                throw StoreError(kind: .cannotOpen, message: "\(destination) exists already; choose a new file name")
            }
            let partial = destination + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
            try? FileManager.default.removeItem(atPath: partial)
            do {
                let source = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMilliseconds: 5_000)
                defer { source.close() }
                let target = try SQLiteConnection(path: partial, readOnly: false, busyTimeoutMilliseconds: 5_000)
                defer { target.close() }
                try target.copy(from: source)
                let problems = try target.integrityProblems(quick: true)
                guard problems.isEmpty else {
                    throw StoreError(kind: .corrupt, message: "the copy fails its check: " + problems.prefix(5).joined(separator: "; "))
                }
                // The copy is a single file: no WAL to carry along.
                try target.execute("PRAGMA journal_mode = DELETE")
            } catch {
                try? FileManager.default.removeItem(atPath: partial)
                throw error
            }
            do {
                try FileManager.default.moveItem(atPath: partial, toPath: destination)
            } catch {
                try? FileManager.default.removeItem(atPath: partial)
                throw StoreError(kind: .cannotOpen, message: "cannot move the backup to \(destination): \(error.localizedDescription)")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? NSNumber)?.int64Value
            return size ?? 0
        }
    }
}

extension SQLiteConnection {
    /// What `PRAGMA integrity_check` (or `quick_check`) reports; empty when it says "ok".
    func integrityProblems(quick: Bool) throws -> [String] {
        let check = try statement(quick ? "PRAGMA quick_check" : "PRAGMA integrity_check")
        defer { check.reset() }
        var lines: [String] = []
        while try check.step() { lines.append(check.string(0) ?? "") }
        return lines == ["ok"] ? [] : lines
    }

    /// Copies every page of `source` into this connection's database in one backup step.
    func copy(from source: SQLiteConnection) throws {
        guard let backup = sqlite3_backup_init(handle, "main", source.handle, "main") else {
            throw error(code: sqlite3_errcode(handle), sql: nil)
        }
        var code: Int32
        repeat {
            code = sqlite3_backup_step(backup, -1)
            if code == SQLITE_BUSY || code == SQLITE_LOCKED { sqlite3_sleep(50) }
        } while code == SQLITE_OK || code == SQLITE_BUSY || code == SQLITE_LOCKED
        sqlite3_backup_finish(backup)
        guard code == SQLITE_DONE else {
            throw StoreError(resultCode: code, message: "the backup failed: \(String(cString: sqlite3_errstr(code)))", sql: nil)
        }
    }

    /// Copies the whole WAL into the database file and empties it (blocks until readers let it).
    func checkpointTruncate() {
        sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
    }
}
