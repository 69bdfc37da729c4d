import CSQLite
import Foundation
import Testing
@testable import Runtime

/// What an operator relies on: a damaged file is refused and reported, a read-only directory is
/// named, a clean close leaves everything in the database file, and an online backup is complete.
@Suite("SQLite store maintenance")
struct StoreMaintenanceTests {
    static let notes = Migration(version: 1, name: "notes", sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")

    func open(_ path: String, checkAtOpen: Bool = true) async throws -> SQLiteStore {
        try await SQLiteStore.open(StoreConfiguration(path: path, checkAtOpen: checkAtOpen), migrations: [Self.notes])
    }

    func fill(_ store: SQLiteStore, rows: Int) async throws {
        try await store.write { db in
            let insert = try db.statement("INSERT INTO notes (id, body) VALUES (?, ?)")
            for id in 0..<rows {
                insert.reset()
                insert.bind(1, id)
                insert.bind(2, String(repeating: "n", count: 1_000))
                try insert.run()
            }
        }
    }

    func count(_ store: SQLiteStore) async throws -> Int64 {
        try await store.read { db in try db.scalar("SELECT count(*) FROM notes") ?? 0 }
    }

    func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Overwrites every page after the first two (the header, the schema and the first table)
    /// with garbage, as a failing disk or a stray write would.
    func damage(_ path: String) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 2 * 4_096)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: Int(size) - 2 * 4_096))
    }

    /// A database of 300 notes, closed cleanly.
    func makeDatabase(_ directory: TemporaryDirectory) async throws {
        let store = try await open(directory.databasePath)
        try await fill(store, rows: 300)
        await store.close()
    }

    @Test("a clean close checkpoints: the WAL is empty and the database file alone holds every row")
    func closeCheckpoints() async throws {
        let directory = TemporaryDirectory()
        try await makeDatabase(directory)
        #expect(fileSize(directory.databasePath + "-wal") == 0)
        let copy = TemporaryDirectory()
        try FileManager.default.copyItem(atPath: directory.databasePath, toPath: copy.databasePath)
        let reopened = try await open(copy.databasePath)
        #expect(try await count(reopened) == 300)
        await reopened.close()
    }

    @Test("an online backup taken while the store is open holds what is still in the WAL, and never overwrites")
    func onlineBackup() async throws {
        let directory = TemporaryDirectory()
        let store = try await open(directory.databasePath)
        try await fill(store, rows: 120)
        let target = TemporaryDirectory()
        let size = try await SQLiteStore.backup(databaseAt: directory.databasePath, to: target.databasePath)
        #expect(size == fileSize(target.databasePath) && size > 120 * 1_000)
        #expect(!FileManager.default.fileExists(atPath: target.databasePath + "-wal"))
        let again = await #expect(throws: StoreError.self) {
            try await SQLiteStore.backup(databaseAt: directory.databasePath, to: target.databasePath)
        }
        #expect(again?.message.contains("exists already") == true)
        try await fill(store, rows: 0)
        await store.close()
        let restored = try await open(target.databasePath)
        #expect(try await count(restored) == 120)
        #expect(try await SQLiteStore.integrityProblems(databaseAt: target.databasePath).isEmpty)
        await restored.close()
    }

    @Test("the integrity check passes a sound file and lists what is wrong with a damaged one")
    func integrityCheck() async throws {
        let directory = TemporaryDirectory()
        try await makeDatabase(directory)
        #expect(try await SQLiteStore.integrityProblems(databaseAt: directory.databasePath).isEmpty)
        try damage(directory.databasePath)
        let problems = try await SQLiteStore.integrityProblems(databaseAt: directory.databasePath)
        #expect(!problems.isEmpty)
    }

    @Test("start-up refuses a damaged file, naming it and what to do")
    func refusedAtOpen() async throws {
        let directory = TemporaryDirectory()
        try await makeDatabase(directory)
        try damage(directory.databasePath)
        let error = await #expect(throws: StoreError.self) { _ = try await open(directory.databasePath) }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.contains(directory.databasePath) == true)
        #expect(error?.message.contains("switchboard check --data-dir") == true)
        #expect(error?.sql == nil)
    }

    @Test("a damaged page met while serving marks the store corrupt, for good")
    func corruptionSeenLater() async throws {
        let directory = TemporaryDirectory()
        try await makeDatabase(directory)
        let store = try await open(directory.databasePath, checkAtOpen: false)
        #expect(store.health.problem == nil)
        try damage(directory.databasePath)
        await #expect(throws: StoreError.self) {
            try await store.read { db in try db.scalar("SELECT sum(length(body)) FROM notes") }
        }
        let problem = try #require(store.health.problem)
        #expect(problem.code == "storage_corrupt" && problem.isCorrupt)
        #expect(problem.message.contains(directory.databasePath) && problem.message.contains("switchboard check"))
        await store.close()
    }

    @Test("a full disk shows as refused writes until a write commits again")
    func fullDiskThenRoom() async throws {
        let directory = TemporaryDirectory()
        let store = try await open(directory.databasePath)
        let pages = try await store.write { db in try db.scalar("PRAGMA page_count") ?? 0 }
        try await store.write { db in try db.execute("PRAGMA max_page_count = \(pages + 1)") }
        await #expect(throws: StoreError.self) { try await fill(store, rows: 50) }
        #expect(store.health.problem?.code == "storage_full" && store.health.writesRefused)
        try await store.write { db in try db.execute("PRAGMA max_page_count = 1000000") }
        #expect(store.health.problem?.code == "storage_full", "a commit that changed nothing proves nothing")
        try await fill(store, rows: 1)
        #expect(store.health.problem == nil)
        await store.close()
    }

    @Test("a read-only data directory or file is named as such, without the SQL that failed",
          arguments: [(SQLITE_CANTOPEN, true), (SQLITE_READONLY, true), (SQLITE_READONLY | (4 << 8), true),
                      (SQLITE_CANTOPEN, false), (SQLITE_READONLY, false)])
    func readOnlyExplained(code: Int32, directoryReadOnly: Bool) throws {
        let directory = TemporaryDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory.databasePath))
        let raw = StoreError(resultCode: code, message: "attempt to write a readonly database", sql: "PRAGMA journal_mode = WAL")
        let explained = raw.explained(path: directory.databasePath, isWritable: { path in
            directoryReadOnly ? path != directory.path && !directory.databasePath.hasPrefix(path + "/") : path != directory.databasePath
        })
        let expected = directoryReadOnly ? "the data directory is read-only: \(directory.path)"
                                         : "the database file is read-only: \(directory.databasePath)"
        #expect(explained.message.hasPrefix(expected), "\(explained.message)")
        #expect(explained.sql == nil && !explained.description.contains("PRAGMA"))
        #expect(explained.kind == raw.kind && explained.resultCode == code)
    }

    @Test("opening in a read-only directory says so", .enabled(if: geteuid() != 0, "root writes through permissions"))
    func readOnlyDirectory() async throws {
        let directory = TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path) }
        let error = await #expect(throws: StoreError.self) { _ = try await open(directory.databasePath) }
        #expect(error?.message.hasPrefix("the data directory is read-only: \(directory.path)") == true)
    }
}
