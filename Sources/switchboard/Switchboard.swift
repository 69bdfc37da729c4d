import ArgumentParser

/// The `switchboard` command line.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A multi-tenant job runtime for LLM inference and messaging, on SQLite.",
        version: SwitchboardVersion.current,
        subcommands: [Serve.self, Token.self, Check.self, Backup.self, MockProviderCommand.self, Bench.self, LoadCommand.self]
    )
}
