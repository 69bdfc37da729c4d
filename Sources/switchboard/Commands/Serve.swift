import ArgumentParser
import Foundation
import HTTPFront
import Jobs
import Logging
import Metrics
import NIOCore
import NIOPosix
import Runtime
import ServiceLifecycle

/// `switchboard serve`: the product. Opens the runtime, serves both APIs over HTTP next to the
/// workers and scheduler, and on SIGINT/SIGTERM stops accepting, finishes in-flight requests,
/// drains the jobs, commits and exits 0.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP APIs, the workers and the scheduler until SIGINT/SIGTERM, then drain gracefully.")

    @OptionGroup var options: ServeOptions

    /// Credit the demo tenant's team wallet gets in development mode (once per data dir).
    static let demoCredit = MicroUSD(usd: 100)

    func run() async throws {
        let settings: ServeSettings
        do { settings = try ServeSettings(options) } catch {
            FileHandle.standardError.write(Data("switchboard: \(error)\n".utf8))
            throw ExitCode.validationFailure
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "switchboard")
        // Swift concurrency's global executor becomes NIO's event loops (one thread per core), so
        // a request's handler runs where its connection's I/O runs instead of hopping to the
        // default pool and back. Nothing may block it either way: SQLite runs on its own threads.
        if !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
            logger.warning("could not run Swift concurrency on the NIO event loops; using the default executor")
        }
        do {
            try await serve(settings, logger: logger)
        } catch let error as ExitCode {
            throw error
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode.failure
        }
    }

    private func serve(_ settings: ServeSettings, logger: Logger) async throws {
        try FileManager.default.createDirectory(atPath: settings.dataDir, withIntermediateDirectories: true)
        // Before any HTTP client exists (the JWKS fetch's included): AsyncHTTPClient takes the tracer when a client is made.
        let telemetry = try Telemetry.bootstrap(endpoint: settings.otlpEndpoint, logger: logger)
        var auth = settings.auth
        if settings.dev { auth.developmentKeyPEM = try DevelopmentKeys.signingKey(inDataDirectory: settings.dataDir) }
        if let url = auth.jwksURL { auth.jwksJSON = try await JWKSRefresher.fetch(url) }
        let internalKey = try settings.internalAPIKey.map { ($0, false) }
            ?? DevelopmentKeys.internalKey(inDataDirectory: settings.dataDir)
        guard internalKey.0.utf8.count >= 16 else {
            throw SettingsError("the internal API key in \(settings.dataDir)/\(DevelopmentKeys.internalKeyFile) is shorter than 16 characters")
        }
        // Key material is checked before the database is opened, so a bad key changes nothing.
        let verifier = try await TokenVerifier(configuration: auth, clock: SystemClock())

        let metrics = FrontMetrics(exporting: telemetry.metricsFactory)
        MetricsSystem.bootstrap(metrics.factory)
        let clock = SystemClock()
        // Made with the runtime's services: on PostgreSQL the providers' limits are the fleet's;
        // on SQLite they start spent, so a crash-and-restart loop cannot exceed them.
        var made: (llm: LLMService, messaging: MessagingHub)?
        let runtime = try await JobRuntime.open(
            RuntimeConfiguration(
                store: StoreConfiguration(path: settings.databasePath, synchronous: settings.sync), postgres: settings.database,
                workers: WorkerConfiguration(maxInFlight: settings.maxInFlight, shutdownGrace: .seconds(settings.shutdownGrace)),
                minimumScheduleInterval: .seconds(settings.minScheduleIntervalSeconds)),
            registry: { services in
                let llm = LLMService(configuration: settings.llm, providers: settings.providers, clock: clock,
                                     metrics: ProviderMetrics(factory: metrics.factory), rateBudget: services.rateBudget,
                                     limitsStartSpent: services.rateBudget == nil)
                let messaging = settings.messagingHub(clock: clock, metrics: MessagingMetrics(factory: metrics.factory),
                                                      rateBudget: services.rateBudget)
                made = (llm, messaging)
                return JobCatalog.registry(llm: llm, messaging: messaging, webhooks: settings.webhooks, services: services)
            }, migrations: JobCatalog.migrations,
            postgresMigrations: JobCatalog.postgresMigrations, clock: clock, logger: logger,
            onJobFinished: { job, outcome in
                metrics.jobFinished(job, outcome)
            })
        guard let (llm, messaging) = made else { preconditionFailure("JobRuntime.open made no registry") }
        do {
            // Before serving: these must not race new requests.
            let recovered = try await InferenceBatches(runtime: runtime).recover(logger: logger)
            let holds = try await OutboxRelay(hub: messaging, backend: runtime.backend, wallets: runtime.wallets).reconcileHolds()
            if holds > 0 { logger.warning("closed message holds left by a previous process", metadata: ["count": "\(holds)"]) }
            try await JobCatalog.saveMissingSchedules(runtime.scheduler)
            if recovered != (0, 0, 0) {
                logger.warning("recovered batches", metadata: ["interruptedFailed": "\(recovered.failed)", "refinalized": "\(recovered.refinalized)",
                                                               "endedHoldsReleased": "\(recovered.holdsReleased)"])
            }
            try await serve(runtime, settings: settings, auth: auth, internalKey: internalKey, verifier: verifier, metrics: metrics,
                            llm: llm, messaging: messaging, telemetry: telemetry, logger: logger)
        } catch {
            await runtime.close()
            throw error
        }
        await runtime.close()
        logger.info("switchboard stopped")
    }

    private func serve(_ runtime: JobRuntime, settings: ServeSettings, auth: AuthConfiguration, internalKey: (String, Bool),
                       verifier: TokenVerifier, metrics: FrontMetrics, llm: LLMService, messaging: MessagingHub,
                       telemetry: Telemetry, logger: Logger) async throws {
        if settings.dev {
            _ = try await runtime.wallets.credit(Self.demoCredit, to: .team(DevelopmentKeys.demoTenant),
                                                 reference: "development-demo-credit", reason: "development mode demo credit")
        }
        let front = HTTPFront(
            runtime: runtime,
            configuration: FrontConfiguration(host: settings.host, port: settings.port, limits: settings.limits, plans: settings.plans,
                                              auth: auth, internalAPIKey: internalKey.0, metricsEnabled: settings.metrics,
                                              publicBaseURL: settings.publicBaseURL, developmentMode: settings.dev,
                                              webhooks: settings.webhooks),
            verifier: verifier, metrics: metrics, llm: llm, messaging: messaging)
        var services: [any Service] = [runtime, OutboxRelayService(hub: messaging, backend: runtime.backend, wallets: runtime.wallets,
                                                                   logger: logger),
                                    WebhookDispatchService(backend: runtime.backend, configuration: settings.webhooks, clock: runtime.clock,
                                                           logger: logger, metrics: WebhookMetrics(factory: metrics.factory))]
        if let url = auth.jwksURL {
            services.append(JWKSRefresher(url: url, interval: auth.jwksRefreshInterval, verifier: verifier, logger: logger))
        }
        // First, so the exporters stop last and send what the others did while stopping.
        services.insert(contentsOf: telemetry.services, at: 0)
        let application = front.application(services: services, logger: logger) { port in
            Self.announce(settings, port: port, internalKey: internalKey)
        }
        try await application.runService()
    }

    /// The first stdout line says where the server listens (scripts read the port from it).
    private static func announce(_ settings: ServeSettings, port: Int, internalKey: (String, Bool)) {
        FileHandle.standardOutput.write(Data((banner(settings, port: port, internalKey: internalKey).joined(separator: "\n") + "\n").utf8))
    }

    /// The banner's lines; the `token` command it suggests names the executable as it can be run
    /// from here (`InvocationHint`), not a bare `switchboard` that is not on `PATH` after `swift run`.
    static func banner(_ settings: ServeSettings, port: Int, internalKey: (String, Bool),
                       executable: String = InvocationHint.command()) -> [String] {
        let data = settings.database.map { "database \($0)" } ?? "data \(settings.dataDir)"
        var lines = ["switchboard listening on http://\(settings.host):\(port) (\(data), \(settings.dev ? "development" : "production") mode, version \(SwitchboardVersion.current))"]
        let keyFile = (settings.dataDir as NSString).appendingPathComponent(DevelopmentKeys.internalKeyFile)
        if internalKey.1 {
            // A generated key is shown once in development; in production only where it is.
            lines.append(settings.dev ? "internal API key: \(internalKey.0) (generated into \(keyFile))"
                                      : "internal API key generated into \(keyFile)")
        }
        if settings.dev {
            lines.append("demo tenant \(DevelopmentKeys.demoTenant); mint a token with: \(executable) token --data-dir \(settings.dataDir) --tenant \(DevelopmentKeys.demoTenant)")
        }
        return lines
    }
}
