public import ArgumentParser
import Runtime

/// Options every command that opens the database shares.
struct RuntimeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory holding the SQLite database (bench makes and removes a fresh one inside).", valueName: "path"))
    var dataDir = "./data"

    @Option(help: "SQLite synchronous level in WAL mode: normal (survives a process crash) or full (also power loss).")
    var sync: StoreConfiguration.Synchronous = .normal

    var databasePath: String { RuntimeConfiguration.databasePath(inDataDirectory: dataDir) }
}

extension StoreConfiguration.Synchronous: ExpressibleByArgument {}
