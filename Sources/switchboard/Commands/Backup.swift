import ArgumentParser
import Foundation
import Runtime

/// `switchboard backup`: copies the data directory's database into one new file with SQLite's
/// online backup API — a consistent snapshot including what is still in the WAL, safe while a
/// server is serving. The copy is checked (`quick_check`) before it takes the name `--to`.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database into a new single file, consistently, even while a server is running.")

    @Option(help: ArgumentHelp("Directory holding switchboard.sqlite.", valueName: "path"))
    var dataDir = "./data"

    @Option(help: ArgumentHelp("The backup file to create (must not exist).", valueName: "file"))
    var to: String

    func run() async throws {
        let path = RuntimeConfiguration.databasePath(inDataDirectory: dataDir)
        do {
            let bytes = try await SQLiteStore.backup(databaseAt: path, to: to)
            FileHandle.standardOutput.write(Data("backed up \(path) to \(to) (\(bytes) bytes)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("switchboard backup: \((error as? StoreError)?.message ?? "\(error)")\n".utf8))
            throw ExitCode.failure
        }
    }
}
