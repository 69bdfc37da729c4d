import ArgumentParser
import Foundation
import Runtime

/// `switchboard bench guards`: the tenancy guards under load — wallet reserve+settle pairs
/// (durable, across many tenants and on one hot tenant), idempotency begin+complete pairs, and
/// rate-limiter decisions.
struct GuardsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "guards", abstract: "Measure wallets, idempotency and rate limiters.")

    @Option(help: "Reserve+settle pairs per wallet run, and begin+complete pairs for idempotency.") var pairs = 100_000
    @Option(help: "Tenants the spread wallet run uses.") var tenants = 1_000
    @Option(help: "Operations in flight at once.") var concurrency = 512
    @Option(help: "Rate-limiter decisions.") var decisions = 5_000_000
    @Option(help: "Rate-limiter keys.") var keys = 10_000
    @OptionGroup var storage: RuntimeOptions

    func validate() throws {
        guard (1...10_000_000).contains(pairs), (1...1_000_000).contains(tenants), (1...100_000).contains(concurrency),
              (1...1_000_000_000).contains(decisions), (1...10_000_000).contains(keys) else {
            throw ValidationError("counts must be positive: pairs ≤ 10,000,000, tenants ≤ 1,000,000, concurrency ≤ 100,000")
        }
    }

    func run() async throws {
        let spread = try await measureWalletPairs(tenants: tenants)
        let hot = try await measureWalletPairs(tenants: 1)
        let idempotency = try await measureIdempotencyPairs(pairs: pairs, tenants: tenants, concurrency: concurrency, dataDirectory: storage.dataDir,
                                                            synchronous: storage.sync)
        let limiter = await measureLimiterDecisions(keys: keys, decisions: decisions)
        print(String(format: "wallets: %.0f reserve+settle pairs/s across %d tenants (p99 %.2f ms), %.0f pairs/s on one tenant (p99 %.2f ms); sync=%@",
                     spread.perSecond, tenants, spread.p99Microseconds / 1000, hot.perSecond, hot.p99Microseconds / 1000, storage.sync.rawValue))
        print(String(format: "idempotency: %.0f begin+complete pairs/s (p99 %.2f ms)", idempotency.perSecond, idempotency.p99Microseconds / 1000))
        print(String(format: "rate limiter: %.0f decisions/s across %d keys (p99 %.2f µs)", limiter.perSecond, keys, limiter.p99Microseconds))
        printJSONLine(["bench": "guards", "walletPairsPerSec": spread.perSecond.rounded(), "walletHotPairsPerSec": hot.perSecond.rounded(),
                       "idempotencyPairsPerSec": idempotency.perSecond.rounded(), "limiterDecisionsPerSec": limiter.perSecond.rounded()])
    }

    /// Reserve then settle, `pairs` times, spread round-robin over `tenants` team wallets.
    private func measureWalletPairs(tenants: Int) async throws -> (perSecond: Double, p99Microseconds: Double) {
        let scratch = try ScratchDirectory(in: storage.dataDir, prefix: "bench-wallets")
        defer { scratch.remove() }
        let database = try await SQLiteStore.open(
            StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: scratch.path), synchronous: storage.sync),
            migrations: WalletSchema.migrations)
        let wallets = Wallets(database: database, clock: SystemClock())
        let keys = (0..<tenants).map { WalletKey.team("tenant-\($0)") }
        for key in keys { _ = try await wallets.credit(MicroUSD(usd: 1_000_000), to: key) }
        let (seconds, latency) = try await runConcurrently(total: pairs, concurrency: concurrency) { index in
            let reservation = try await wallets.reserve(MicroUSD(2_000), on: keys[index % keys.count], reference: "op-\(index)")
            _ = try await wallets.settle(reservation, actualCost: MicroUSD(1_234))
        }
        let problems = try await wallets.audit()
        await database.close()
        guard problems.isEmpty else { throw ValidationError("the ledger does not balance after the run: \(problems.prefix(3))") }
        return (Double(pairs) / seconds, Double(latency.valueAtPercentile(99)))
    }
}
