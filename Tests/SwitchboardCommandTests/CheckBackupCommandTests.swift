import ArgumentParser
import Foundation
import Runtime
@testable import switchboard
import Testing

/// `switchboard check` and `switchboard backup` on real files.
@Suite("check and backup commands")
struct CheckBackupCommandTests {
    final class Directory: Sendable {
        let path = NSTemporaryDirectory() + "switchboard-check-test-\(UUID().uuidString)"
        init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        var database: String { RuntimeConfiguration.databasePath(inDataDirectory: path) }
    }

    func makeDatabase(_ directory: Directory) async throws {
        let store = try await SQLiteStore.open(StoreConfiguration(path: directory.database), migrations: [
            Migration(version: 1, name: "notes", sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"),
        ])
        try await store.write { db in
            for id in 0..<200 { try db.execute("INSERT INTO notes VALUES (\(id), printf('%.1000c', 'n'))") }
        }
        await store.close()
    }

    @Test("check: exit 0 on a sound file; exit 1 once pages past the header are garbage")
    func check() async throws {
        let directory = Directory()
        try await makeDatabase(directory)
        let sound = try Check.parse(["--data-dir", directory.path])
        try await sound.run()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: directory.database))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 2 * 4_096)
        try handle.write(contentsOf: Data(repeating: 0x5A, count: Int(size) - 2 * 4_096))
        try handle.close()
        for arguments in [["--data-dir", directory.path], ["--data-dir", directory.path, "--quick"]] {
            let damaged = try Check.parse(arguments)
            let error = await #expect(throws: ExitCode.self) { try await damaged.run() }
            #expect(error == .failure)
        }
        let missing = try Check.parse(["--data-dir", directory.path + "/nope"])
        await #expect(throws: ExitCode.self) { try await missing.run() }
    }

    @Test("backup: writes a checked copy; refuses to overwrite")
    func backup() async throws {
        let directory = Directory()
        try await makeDatabase(directory)
        let target = directory.path + "/copy.sqlite"
        let command = try Backup.parse(["--data-dir", directory.path, "--to", target])
        try await command.run()
        #expect(try await SQLiteStore.integrityProblems(databaseAt: target).isEmpty)
        let again = try Backup.parse(["--data-dir", directory.path, "--to", target])
        await #expect(throws: ExitCode.self) { try await again.run() }
    }
}
