import ArgumentParser
import Foundation
import Runtime

/// `switchboard check`: runs SQLite's `PRAGMA integrity_check` on the data directory's database
/// (read-only; safe while a server is serving it) and prints `ok`, or each problem SQLite found
/// and exits 1.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the database file with SQLite's integrity check: prints ok (exit 0) or what is wrong (exit 1).")

    @Option(help: ArgumentHelp("Directory holding switchboard.sqlite.", valueName: "path"))
    var dataDir = "./data"

    @Flag(help: "Run the faster PRAGMA quick_check (what start-up runs) instead of the full integrity check.")
    var quick = false

    func run() async throws {
        let path = RuntimeConfiguration.databasePath(inDataDirectory: dataDir)
        let problems: [String]
        do {
            problems = try await SQLiteStore.integrityProblems(databaseAt: path, quick: quick)
        } catch {
            FileHandle.standardError.write(Data("switchboard check: \((error as? StoreError)?.message ?? "\(error)")\n".utf8))
            throw ExitCode.failure
        }
        guard problems.isEmpty else {
            let lines = problems.map { "  \($0)" }.joined(separator: "\n")
            FileHandle.standardOutput.write(Data("""
                \(path) is damaged; SQLite's \(quick ? "quick_check" : "integrity_check") found:
                \(lines)
                Restore it from a backup (switchboard backup), or move it aside to start empty.

                """.utf8))
            throw ExitCode.failure
        }
        FileHandle.standardOutput.write(Data("ok\n".utf8))
    }
}
