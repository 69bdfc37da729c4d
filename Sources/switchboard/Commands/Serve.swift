import ArgumentParser
import Jobs
import Logging
import Runtime
import ServiceLifecycle

/// `switchboard serve`: runs the runtime (workers and scheduler) until SIGINT or SIGTERM,
/// then drains gracefully.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the job runtime until SIGINT/SIGTERM, then drain gracefully.")

    @OptionGroup var options: RuntimeOptions

    @Option(help: "Jobs running at once.")
    var maxInFlight = 256

    @Option(help: "Seconds in-flight jobs get to finish on shutdown before they are released.")
    var shutdownGrace = 25

    func validate() throws {
        guard (1...100_000).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be 1...100000") }
        guard (0...3_600).contains(shutdownGrace) else { throw ValidationError("--shutdown-grace must be 0...3600 seconds") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "switchboard")
        let configuration = RuntimeConfiguration(
            store: StoreConfiguration(path: options.databasePath, synchronous: options.sync),
            workers: WorkerConfiguration(maxInFlight: maxInFlight, shutdownGrace: .seconds(shutdownGrace)))
        let runtime: JobRuntime
        do {
            runtime = try await JobRuntime.open(configuration, registry: JobCatalog.registry(), logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode.failure
        }
        logger.info("switchboard runtime started", metadata: [
            "database": "\(options.databasePath)", "sync": "\(options.sync.rawValue)", "maxInFlight": "\(maxInFlight)",
        ])
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: runtime)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await runtime.close()
        logger.info("switchboard stopped")
    }
}
