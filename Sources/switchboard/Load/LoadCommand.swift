import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPFront
import Jobs
import Histogram
import NIOCore
import Runtime
import Synchronization

/// `switchboard load`: drives a running server over HTTP like real clients — many tenants, a
/// weighted mix of operations, closed loop (`--concurrency`) or open loop (`--rate`) — for a
/// duration or a number of requests, shows a live progress line on a terminal, then checks the
/// invariants (`InvariantCheck`) and prints a report per operation (also written as JSON).
/// Exits non-zero on any violation, naming each.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Drive a running server with load, then check nothing was lost.")

    @Option(help: "A server instance's base URL; give it once per instance and requests go round-robin across them.")
    var url: [String] = ["http://127.0.0.1:8080"]

    @Option(help: ArgumentHelp("The server's data directory: its development signing key mints the tenants' tokens, its internal key funds them, its database is checked (unless --database).", valueName: "path"))
    var dataDir = "./data"

    @Option(help: ArgumentHelp("The PostgreSQL database the server's instances share (postgres://…): checked instead of the data directory's SQLite file.",
                               valueName: "url"))
    var database: String?

    @Option(help: "mock-provider's base URL, to check no message was delivered twice.")
    var mockUrl: String?

    @Option(help: ArgumentHelp("The config file the server was started with: its prices re-price the finished work (default: the development prices).",
                               valueName: "path"))
    var config: String?

    @Option(help: "Tenants to spread the load over.")
    var tenants = 4

    @Option(help: "Seconds to run.")
    var duration = 30

    @Option(help: "Stop after this many requests (default: only the duration).")
    var requests: Int?

    @Option(help: "Requests in flight (closed loop).")
    var concurrency = 32

    @Option(help: "Requests started per second (open loop, instead of --concurrency).")
    var rate: Int?

    @Option(help: "Operation weights, e.g. \(LoadMix.standard).")
    var mix = LoadMix.standard

    @Option(help: "Completions per second sent besides the mix to the config's `limited` use case (a provider with a low requests-per-minute limit; the check finds the fleet within it). 0: none.")
    var limitedRate = 2

    @Option(help: "USD credited to each tenant before the run.")
    var fund = 1_000

    @Option(help: "Seconds to wait after the run for acknowledged work to finish.")
    var settleSeconds = 120

    @Option(help: ArgumentHelp("Write the report as JSON here.", valueName: "path"))
    var report: String?

    @Flag(help: "Skip the invariant check.")
    var noCheck = false

    func validate() throws {
        guard (1...10_000).contains(tenants), (1...86_400).contains(duration), (1...4_096).contains(concurrency) else {
            throw ValidationError("--tenants 1...10000, --duration 1...86400, --concurrency 1...4096")
        }
        if let rate, !(1...100_000).contains(rate) { throw ValidationError("--rate 1...100000") }
        guard (0...10_000).contains(limitedRate) else { throw ValidationError("--limited-rate 0...10000") }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        guard (0...86_400).contains(settleSeconds) else { throw ValidationError("--settle-seconds 0...86400") }
        guard (1...1_000_000_000).contains(fund) else { throw ValidationError("--fund 1...1000000000 (USD)") }
        _ = try LoadMix(parsing: mix)
        if let database { do { _ = try PostgresURL(parsing: database) } catch { throw ValidationError(error.description) } }
        do {
            _ = try LoadPrices(configFile: config)
            _ = try FleetRateCheck(configFile: config)
        } catch { throw ValidationError("--config: \(error)") }
    }

    /// The database the check reads: `--database`, else the data directory's SQLite file.
    var checkedDatabase: InvariantCheck.Database {
        get throws {
            guard let database else { return .sqlite(path: RuntimeConfiguration.databasePath(inDataDirectory: dataDir)) }
            return .postgres(try PostgresURL(parsing: database))
        }
    }

    func run() async throws {
        let mix = try LoadMix(parsing: mix)
        let prices = try LoadPrices(configFile: config)
        let rates = try FleetRateCheck(configFile: config)
        let limitedRate = rates.useCases.contains("limited") ? limitedRate : 0
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            timeout: .init(connect: .seconds(2)), connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: max(concurrency, 64))))
        defer { Task { try? await http.shutdown() } }
        let keyPEM = try String(contentsOfFile: (dataDir as NSString).appendingPathComponent(DevelopmentKeys.signingKeyFile), encoding: .utf8)
        let internalKey = (try? String(contentsOfFile: (dataDir as NSString).appendingPathComponent(DevelopmentKeys.internalKeyFile),
                                       encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let run = UUID().uuidString.prefix(8).lowercased()
        var tokens: [String: String] = [:]
        for index in 0..<tenants {
            let tenant = "load-\(run)-\(index)"
            tokens[tenant] = try await DevelopmentKeys.mintToken(signingKeyPEM: keyPEM, claims: AccessClaims(
                sub: "load", tenantId: tenant, roles: ["user"], planTier: "internal-batch", issuedAt: Date(),
                expiresAt: Date().addingTimeInterval(Double(duration + settleSeconds + 3_600))))
        }
        let stats = LoadStats()
        let client = LoadClient(http: http, instances: RoundRobin(url), tokens: tokens, stats: stats)
        let metricsBefore = await Self.metrics(http, url[0])
        guard let internalKey else {
            throw ValidationError("no internal API key in \(dataDir)/\(DevelopmentKeys.internalKeyFile): the tenants cannot be funded")
        }
        for tenant in tokens.keys.sorted() { try await Self.fund(http, url[0], tenant: tenant, usd: fund, key: internalKey) }
        let names = tokens.keys.sorted()
        let start = ContinuousClock.now
        let end = start + .seconds(duration)
        let progress = Task { await Self.showProgress(stats, start: start) }
        let budget = requests ?? Int.max
        let issued = Counter()
        // Besides the mix: completions to the limited use case at a steady rate, each in its own task.
        let limited = Task {
            guard limitedRate > 0 else { return }
            await withDiscardingTaskGroup { group in
                var next = start
                var sequence = 0
                while ContinuousClock.now < end {
                    next = next + .nanoseconds(1_000_000_000 / Int64(limitedRate))
                    try? await Task.sleep(until: next)
                    let number = sequence
                    sequence += 1
                    group.addTask { await client.run(.limited, tenant: names[number % names.count], sequence: number) }
                }
            }
        }
        if let rate {
            await withDiscardingTaskGroup { group in
                var next = start
                var sequence = 0
                while ContinuousClock.now < end && sequence < budget {
                    next = next + .nanoseconds(1_000_000_000 / Int64(rate))
                    try? await Task.sleep(until: next)
                    let number = sequence
                    sequence += 1
                    group.addTask { await client.run(mix.pick(DeterministicDraw.unit(number)), tenant: names[number % names.count], sequence: number) }
                }
            }
        } else {
            await withDiscardingTaskGroup { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        while ContinuousClock.now < end, let number = issued.next(below: budget) {
                            await client.run(mix.pick(DeterministicDraw.unit(number)), tenant: names[number % names.count], sequence: number)
                        }
                    }
                }
            }
        }
        await limited.value
        let elapsed = (ContinuousClock.now - start).timeInterval
        progress.cancel()
        await progress.value
        if isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }

        var violations: [String] = []
        if !noCheck {
            let checked = try checkedDatabase
            violations = await InvariantCheck(client: client, database: checked,
                                              internalKey: internalKey, mockURL: mockUrl, settleTimeout: .seconds(settleSeconds), tenants: names,
                                              prices: prices, rates: rates)
                .run(stats.work) { print($0) }
        }
        let metricsAfter = await Self.metrics(http, url[0])
        let report = LoadReport(stats: stats, seconds: elapsed, violations: violations, checked: !noCheck,
                                metricDeltas: LoadReport.deltas(before: metricsBefore, after: metricsAfter))
        print(report.text)
        if let path = self.report { try report.json.write(to: URL(fileURLWithPath: path)) }
        if !violations.isEmpty { throw ExitCode(1) }
    }


    private static func fund(_ http: HTTPClient, _ url: String, tenant: String, usd: Int, key: String) async throws {
        var request = HTTPClientRequest(url: url + "/llm-orch/v1/_internal/wallets/credit")
        request.method = .POST
        request.headers.add(name: "x-internal-api-key", value: key)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: "load-fund-\(tenant)")
        request.body = .bytes(ByteBuffer(string: #"{"tenantId":"\#(tenant)","wallet":"team","amountUsd":"\#(usd)","reason":"load test"}"#))
        for attempt in 1...30 {
            if let response = try? await http.execute(request, timeout: .seconds(10)), response.status.code < 300 { return }
            try await Task.sleep(for: .milliseconds(200 * attempt))
        }
        throw ValidationError("could not fund \(tenant) through the internal API")
    }

    /// `/metrics` as series → value (nil if it could not be read).
    static func metrics(_ http: HTTPClient, _ url: String) async -> [String: Double] {
        guard let response = try? await http.execute(HTTPClientRequest(url: url + "/metrics"), timeout: .seconds(10)),
              let body = try? await response.body.collect(upTo: 16 << 20) else { return [:] }
        var series: [String: Double] = [:]
        for line in String(buffer: body).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            series[String(line[..<space])] = value
        }
        return series
    }

    /// Once a second on a terminal: elapsed, rate, errors, p99.
    private static func showProgress(_ stats: LoadStats, start: ContinuousClock.Instant) async {
        guard isatty(2) != 0 else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let (requests, errors, p99) = stats.progress
            let seconds = max(0.001, (ContinuousClock.now - start).timeInterval)
            let line = String(format: "\r%5.0fs  %8d requests  %7.0f/s  errors %6d  p99 %8.1f ms ", seconds, requests, Double(requests) / seconds, errors, p99)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

/// Hands out request numbers below a budget to the closed-loop lanes.
final class Counter: Sendable {
    private let value = Mutex(0)

    func next(below budget: Int) -> Int? {
        value.withLock { value in
            guard value < budget else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
