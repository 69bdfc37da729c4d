import CryptoExtras
import Foundation
import HTTPFront
import Hummingbird
import Jobs
import Logging
import Runtime
import ServiceLifecycle

/// The server the HTTP benchmarks drive: a runtime on a fresh database (or `instances` of them on
/// one PostgreSQL database), the HTTP front on a free loopback port, `tenants` tenants each funded
/// with $1,000,000 and a token for each, for the length of `body`.
enum BenchServer {
    /// What `body` gets: where the server is, a token, and the parts a benchmark may drive directly.
    struct Context: Sendable {
        /// The first instance's base URL.
        var url: String { urls[0] }
        /// Every instance's base URL.
        let urls: [String]
        /// The first tenant's token.
        var token: String { tokens[0] }
        /// A token per tenant, the first one's tenant being `tenant`.
        let tokens: [String]
        let tenant: String
        let runtime: JobRuntime
        let messaging: MessagingHub
        /// The scratch data directory the server's database lives in.
        let dataDirectory: String

        /// The database's logical size: its pages times the page size, as a reader sees it (the
        /// WAL's pages included, the WAL file's preallocated slack not: it is reused, not growth).
        /// On PostgreSQL: the database's size on disk.
        func databaseBytes() async throws -> Int {
            guard let sqlite = runtime.sqlite else {
                return try await runtime.backend.read { tx in
                    try tx.first("SELECT pg_database_size(current_database()) AS bytes") { $0["bytes"] as Int } ?? 0
                }
            }
            return try await sqlite.read { db in
                Int((try db.scalar("PRAGMA page_count") ?? 0) * (try db.scalar("PRAGMA page_size") ?? 0))
            }
        }
    }

    /// The tracer `serve` runs without `--otlp-endpoint` (spans made, not recorded, `traceparent`
    /// propagated), bootstrapped once per process, so the figures are those of `serve`. Nothing
    /// is recorded, so its span processor has nothing to do and is not run.
    private static let tracing = Result { _ = try Telemetry.bootstrap(endpoint: nil, logger: Logger(label: "bench")) }

    static func run<Value: Sendable>(dataDir: String, maxInFlight: Int, llm: LLMConfiguration, providers: [ProviderSettings],
                                     logger: Logger, _ body: @escaping @Sendable (String, String) async throws -> Value) async throws -> Value {
        try await run(dataDir: dataDir, maxInFlight: maxInFlight, llm: llm, providers: providers, logger: logger) { context in
            try await body(context.url, context.token)
        }
    }

    static func run<Value: Sendable>(dataDir: String, maxInFlight: Int, llm: LLMConfiguration = .development,
                                     providers: [ProviderSettings] = [ProviderSettings(id: "simulated", kind: .simulated(.init()))],
                                     messaging makeMessaging: (any WallClock) -> MessagingHub = { MessagingHub.development(clock: $0) },
                                     database: PostgresURL? = nil, instances: Int = 1, tenants: Int = 1,
                                     logger: Logger, _ body: @escaping @Sendable (Context) async throws -> Value) async throws -> Value {
        try tracing.get()
        let scratch = try ScratchDirectory(in: dataDir, prefix: "bench-server")
        defer { scratch.remove() }
        let pem = try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
        let auth = AuthConfiguration(developmentKeyPEM: pem)
        let clock = SystemClock()
        let metrics = FrontMetrics()
        let messaging = makeMessaging(clock)
        // Each instance its own runtime, limiter and front, as separate `serve` processes would be;
        // only the database links them.
        var runtimes: [JobRuntime] = []
        var applications: [any Service] = []
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        do {
            for _ in 0..<max(1, instances) {
                var service: LLMService?
                let runtime = try await JobRuntime.open(
                    RuntimeConfiguration(store: StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: scratch.path)),
                                         postgres: database, workers: WorkerConfiguration(maxInFlight: maxInFlight)),
                    registry: { services in
                        let llm = LLMService(configuration: llm, providers: providers, clock: clock, rateBudget: services.rateBudget)
                        service = llm
                        return JobCatalog.registry(llm: llm, messaging: messaging, services: services)
                    }, migrations: JobCatalog.migrations, postgresMigrations: JobCatalog.postgresMigrations,
                    clock: clock, logger: logger,
                    onJobFinished: { job, outcome in
                        metrics.jobFinished(job, outcome)
                    })
                runtimes.append(runtime)
                guard let service else { preconditionFailure("JobRuntime.open made no registry") }
                let front = HTTPFront(runtime: runtime,
                                      configuration: FrontConfiguration(port: 0, plans: PlanLimits(plans: ["bench": .init(requestsPerSecond: 10_000_000,
                                                                                                                          burst: 10_000_000)]),
                                                                        auth: auth, internalAPIKey: "bench-internal-key-0123456789"),
                                      verifier: try await TokenVerifier(configuration: auth, clock: clock), metrics: metrics, llm: service,
                                      messaging: messaging)
                applications.append(front.application(services: [runtime], logger: logger) { continuation.yield($0) })
            }
        } catch {
            for runtime in runtimes { await runtime.close() }
            throw error
        }
        let runtime = runtimes[0]
        let names = (0..<max(1, tenants)).map { $0 == 0 ? "bench-tenant" : "bench-tenant-\($0)" }
        var tokens: [String] = []
        for name in names {
            tokens.append(try await DevelopmentKeys.mintToken(signingKeyPEM: pem, claims: AccessClaims(
                sub: "bench", tenantId: name, planTier: "bench", issuedAt: Date(), expiresAt: Date().addingTimeInterval(3_600))))
        }
        let group = ServiceGroup(configuration: .init(services: applications, logger: logger))
        do {
            for name in names { _ = try await runtime.wallets.credit(MicroUSD(usd: 1_000_000), to: .team(name), reference: "bench") }
            let value = try await withThrowingTaskGroup(of: Value?.self) { tasks in
                tasks.addTask { try await group.run(); return nil }
                var urls: [String] = []
                for await port in ports {
                    urls.append("http://127.0.0.1:\(port)")
                    if urls.count == runtimes.count { break }
                }
                guard urls.count == runtimes.count else { throw CancellationError() }
                let value = try await body(Context(urls: urls, tokens: tokens, tenant: names[0], runtime: runtime,
                                                   messaging: messaging, dataDirectory: scratch.path))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            }
            for runtime in runtimes { await runtime.close() }
            return value
        } catch {
            await group.triggerGracefulShutdown()
            for runtime in runtimes { await runtime.close() }
            throw error
        }
    }
}
