import ArgumentParser
import AsyncHTTPClient
import Foundation
import Histogram
import Jobs
import Logging

/// `switchboard bench messages`: (a) `POST /cpaas/v1/messages` over HTTP on loopback (auth,
/// validation, the price held on the wallet, message + outbox row in one commit), the relay
/// not running; then (b) the outbox drained by `--relays` relays against the zero-latency
/// simulated provider (send, settle the hold, record sent). One recipient per message, so the
/// per-recipient ordering does not serialize the run.
struct MessagesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messages", abstract: "Measure accepting and relaying messages.")

    @Option(help: "Messages to accept and relay.")
    var messages = 20_000

    @Option(help: "Requests in flight while accepting.")
    var concurrency = 64

    @Option(help: "Relays draining the outbox at once.")
    var relays = 2

    @Option(help: "Jobs running at once in the server (serve's --max-in-flight).")
    var maxInFlight = 256

    @Option(help: ArgumentHelp("Directory for the scratch databases.", valueName: "path"))
    var dataDir = "./data"

    func validate() throws {
        guard (1...1_000_000).contains(messages), (1...4_096).contains(concurrency), (1...16).contains(relays) else {
            throw ValidationError("--messages 1...1000000, --concurrency 1...4096, --relays 1...16")
        }
    }

    func run() async throws {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)))
        let measured: (accepted: (seconds: Double, latency: Histogram<UInt64>), relayed: Double)
        do {
            measured = try await measure(client: client, logger: logger)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()  // a client must be shut down, also when the run fails
            throw error
        }
        let (accepted, relayed) = measured
        let total = messages, relays = relays
        let acceptedRate = Double(total) / accepted.seconds, relayedRate = Double(total) / relayed
        print("messages: accepted \(Int(acceptedRate))/s (p50 \(accepted.latency.milliseconds(atPercentile: 50)) ms, "
              + "p99 \(accepted.latency.milliseconds(atPercentile: 99)) ms), "
              + "relayed \(Int(relayedRate))/s by \(relays) relays")
        printJSONLine(["bench": "messages", "acceptedPerSec": acceptedRate, "relayedPerSec": relayedRate])
    }

    /// Accepts `messages` over HTTP, then drains the outbox; the acceptance latencies and the draining seconds.
    private func measure(client: HTTPClient, logger: Logger) async throws -> ((seconds: Double, latency: Histogram<UInt64>), Double) {
        let total = messages, relays = relays, concurrency = concurrency
        return try await BenchServer.run(dataDir: dataDir, maxInFlight: maxInFlight, logger: logger) { server in
            let accepted = try await runConcurrently(total: total, concurrency: concurrency) { index in
                let to = "+1415" + String(format: "%07d", index)
                try await BenchHTTP.post(client, server.url + "/cpaas/v1/messages",
                                         body: #"{"channel":"sms","to":"\#(to)","body":"Your code is \#(index % 10_000)"}"#,
                                         token: server.token, expect: 202)
            }
            let start = ContinuousClock.now
            let reports = try await withThrowingTaskGroup(of: OutboxRelay.Report.self) { group in
                for relay in 0..<relays {
                    group.addTask {
                        try await OutboxRelay(hub: server.messaging, database: server.runtime.database, wallets: server.runtime.wallets,
                                              owner: "bench-relay-\(relay)", logger: logger).drain(maxPasses: 1_000_000)
                    }
                }
                return try await group.reduce(into: [OutboxRelay.Report]()) { $0.append($1) }
            }
            let seconds = (ContinuousClock.now - start).timeInterval
            let sent = reports.reduce(0) { $0 + $1.sent }
            guard sent == total else { throw ValidationError("relayed \(sent) of \(total)") }
            return (accepted, seconds)
        }
    }
}
