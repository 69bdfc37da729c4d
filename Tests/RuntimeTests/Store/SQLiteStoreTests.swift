import CSQLite
import Foundation
import Testing
@testable import Runtime

@Suite("SQLite store")
struct SQLiteStoreTests {
    static let notes = Migration(version: 1, name: "notes", sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body BLOB)")

    func open(_ directory: TemporaryDirectory, readOnly: Bool = false) async throws -> SQLiteStore {
        try await SQLiteStore.open(StoreConfiguration(path: directory.databasePath, readOnly: readOnly), migrations: [Self.notes])
    }

    func insert(_ store: SQLiteStore, _ id: Int, body: String = "x") async throws {
        try await store.write { db in
            let insert = try db.statement("INSERT INTO notes (id, body) VALUES (?, ?)")
            insert.bind(1, id)
            insert.bind(2, body)
            try insert.run()
        }
    }

    func count(_ store: SQLiteStore) async throws -> Int64 {
        try await store.read { db in try db.scalar("SELECT count(*) FROM notes") ?? 0 }
    }

    /// Holds the writer thread inside a write until `waiting` writes queue behind it, so those
    /// writes are deterministically grouped into one transaction.
    func withWriterHeld(_ store: SQLiteStore, until waiting: Int, _ submit: @Sendable () async -> Void) async throws {
        let release = DispatchSemaphore(value: 0)
        let started = store.statistics.transactions
        let holder = Task { try await store.write { _ in release.wait() } }
        while store.statistics.transactions == started { await Task.yield() }
        await submit()
        while store.writer.pendingCount < waiting { await Task.yield() }
        release.signal()
        try await holder.value
    }

    @Test("an acknowledged write is in the file when another connection opens it")
    func durableAfterReopen() async throws {
        let directory = TemporaryDirectory()
        let store = try await open(directory)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 0..<200 { group.addTask { try await insert(store, id) } }
            try await group.waitForAll()
        }
        // No close: as after a crash, a new store opens the same file.
        let reopened = try await open(directory)
        #expect(try await count(reopened) == 200)
        await reopened.close()
        await store.close()
    }

    @Test("concurrent writes waiting together commit in one transaction")
    func groupCommit() async throws {
        let directory = TemporaryDirectory()
        let store = try await open(directory)
        let writers = Mutex<[Task<Void, any Error>]>([])
        let before = store.statistics
        try await withWriterHeld(store, until: 50) {
            for id in 0..<50 { writers.withLock { $0.append(Task { try await insert(store, id) }) } }
        }
        for writer in writers.withLock({ $0 }) { try await writer.value }
        let after = store.statistics
        #expect(after.writes - before.writes == 51)
        #expect(after.transactions - before.transactions == 2, "the holder's transaction, then one for all 50")
        #expect(try await count(store) == 50)
        await store.close()
    }

    @Test("a body that throws rolls back only its own changes in a group")
    func failingBodyIsolated() async throws {
        let directory = TemporaryDirectory()
        let store = try await open(directory)
        let results = Mutex<[Task<Void, any Error>]>([])
        try await withWriterHeld(store, until: 3) {
            results.withLock { tasks in
                tasks.append(Task { try await insert(store, 1) })
                tasks.append(Task {
                    try await store.write { db in
                        try db.execute("INSERT INTO notes (id, body) VALUES (2, 'doomed')")
                        throw TestFailure(message: "caller gave up")
                    }
                })
                tasks.append(Task { try await insert(store, 3) })
            }
        }
        let tasks = results.withLock { $0 }
        try await tasks[0].value
        await #expect(throws: TestFailure.self) { try await tasks[1].value }
        try await tasks[2].value
        let ids = try await store.read { db -> [Int] in
            let select = try db.statement("SELECT id FROM notes ORDER BY id")
            var ids: [Int] = []
            while try select.step() { ids.append(select.int(0)) }
            return ids
        }
        #expect(ids == [1, 3])
        await store.close()
    }

    @Test("a constraint violation is a typed error that names the statement")
    func constraintError() async throws {
        let directory = TemporaryDirectory()
        let store = try await open(directory)
        try await insert(store, 1)
        let error = await #expect(throws: StoreError.self) { try await insert(store, 1) }
        #expect(error?.kind == .constraint)
        #expect(error?.sql?.contains("INSERT INTO notes") == true)
        #expect(error?.description.contains("UNIQUE") == true)
        await store.close()
    }

    @Test("a write statement left mid-way (RETURNING, one row read) does not block the commit")
    func unfinishedStatementIsReset() async throws {
        let directory = TemporaryDirectory()
        let store = try await open(directory)
        try await insert(store, 1)
        try await insert(store, 2)
        let first = try await store.write { db -> Int in
            let update = try db.statement("UPDATE notes SET body = 'seen' RETURNING id")
            _ = try update.step()
            return update.int(0)
        }
        #expect([1, 2].contains(first))
        let seen = try await store.read { db in try db.scalar("SELECT count(*) FROM notes WHERE body = 'seen'") }
        #expect(seen == 2, "both rows were updated and committed")
        await store.close()
    }

    @Test("a full disk is a clear error, and the store keeps working once there is room")
    func diskFull() async throws {
        let directory = TemporaryDirectory()
        let store = try await open(directory)
        let pages = try await store.write { db in try db.scalar("PRAGMA page_count") ?? 0 }
        try await store.write { db in try db.execute("PRAGMA max_page_count = \(pages + 2)") }
        let big = String(repeating: "x", count: 64 * 1024)
        let error = await #expect(throws: StoreError.self) { try await insert(store, 1, body: big) }
        #expect(error?.kind == .diskFull)
        try await store.write { db in try db.execute("PRAGMA max_page_count = 1000000") }
        try await insert(store, 2, body: big)
        #expect(try await count(store) == 1)
        await store.close()
    }

    @Test("a file that is not a database gives a clear error naming the file")
    func corruptFile() async throws {
        let directory = TemporaryDirectory()
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: directory.databasePath))
        let error = await #expect(throws: StoreError.self) { _ = try await open(directory) }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.contains(directory.databasePath) == true)
        #expect(error?.message.contains("not a SQLite database") == true)
    }

    @Test("a read-only store refuses writes with a clear error and still reads")
    func readOnly() async throws {
        let directory = TemporaryDirectory()
        let writable = try await open(directory)
        try await insert(writable, 1)
        await writable.close()
        let store = try await open(directory, readOnly: true)
        let error = await #expect(throws: StoreError.self) { try await insert(store, 2) }
        #expect(error?.kind == .readOnly)
        #expect(try await count(store) == 1)
        await store.close()
    }

    @Test("a database that is not writable on disk gives a clear error", .enabled(if: geteuid() != 0, "root can write any file"))
    func unwritableFile() async throws {
        let directory = TemporaryDirectory()
        let writable = try await open(directory)
        await writable.close()
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: directory.databasePath)
        let error = await #expect(throws: StoreError.self) { _ = try await open(directory) }
        #expect(error?.kind == .readOnly)
    }

    @Test("a read-only store on a database with pending migrations says so")
    func readOnlyNeedsMigration() async throws {
        let directory = TemporaryDirectory()
        let store = try await open(directory)
        await store.close()
        let later = Migration(version: 2, name: "more", sql: "CREATE TABLE more (id INTEGER)")
        let error = await #expect(throws: StoreError.self) {
            _ = try await SQLiteStore.open(StoreConfiguration(path: directory.databasePath, readOnly: true),
                                           migrations: [Self.notes, later])
        }
        #expect(error?.kind == .schema)
    }

    @Test("migrations run once, in order, across reopenings")
    func migrationsRunOnce() async throws {
        let directory = TemporaryDirectory()
        try await open(directory).close()
        let second = Migration(version: 2, name: "seed", sql: "INSERT INTO notes (id, body) VALUES (100, 'seed')")
        for _ in 0..<2 {
            let store = try await SQLiteStore.open(StoreConfiguration(path: directory.databasePath), migrations: [second, Self.notes])
            #expect(try await count(store) == 1)
            await store.close()
        }
    }
}

import Synchronization
