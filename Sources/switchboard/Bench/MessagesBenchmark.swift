import ArgumentParser
import AsyncHTTPClient
import Foundation
import Histogram
import HTTPFront
import Jobs
import Logging

/// `switchboard bench messages`: (a) `POST /cpaas/v1/messages` over HTTP on loopback (auth,
/// validation, the price held on the wallet, message + outbox row in one commit), the relay
/// not running; then (b) the outbox drained by `--relays` relays against the zero-latency
/// simulated provider (send, settle the hold, record sent). One recipient per message, so the
/// per-recipient ordering does not serialize the run. Then (c) a Twilio status callback per
/// message over HTTP, signed (`X-Twilio-Signature`), verified, stored once and applied by its
/// job: `callbacksPerSec` counts from the first post until every report is applied.
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
        let measured: (accepted: (seconds: Double, latency: Histogram<UInt64>), relayed: Double, callbacks: Double)
        do {
            measured = try await measure(client: client, logger: logger)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()  // a client must be shut down, also when the run fails
            throw error
        }
        let (accepted, relayed, callbacks) = measured
        let total = messages, relays = relays
        let acceptedRate = Double(total) / accepted.seconds, relayedRate = Double(total) / relayed, callbackRate = Double(total) / callbacks
        print("messages: accepted \(Int(acceptedRate))/s (p50 \(accepted.latency.milliseconds(atPercentile: 50)) ms, "
              + "p99 \(accepted.latency.milliseconds(atPercentile: 99)) ms), "
              + "relayed \(Int(relayedRate))/s by \(relays) relays, callbacks verified and applied \(Int(callbackRate))/s")
        printJSONLine(["bench": "messages", "acceptedPerSec": acceptedRate, "relayedPerSec": relayedRate, "callbacksPerSec": callbackRate])
    }

    /// Accepts `messages` over HTTP, then drains the outbox; the acceptance latencies and the draining seconds.
    private func measure(client: HTTPClient, logger: Logger) async throws
        -> ((seconds: Double, latency: Histogram<UInt64>), Double, Double) {
        let total = messages, relays = relays, concurrency = concurrency
        // The simulated provider sends; a Twilio account is configured only to sign callbacks.
        let account = "ACbench", authToken = "bench-twilio-token"
        return try await BenchServer.run(dataDir: dataDir, maxInFlight: maxInFlight, messaging: { clock in
            MessagingHub(configuration: .development, providers: [SimulatedMessagingProvider(),
                                                                  TwilioProvider(accountSID: account, authToken: authToken, clock: clock)],
                         clock: clock)
        }, logger: logger) { server in
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
                        try await OutboxRelay(hub: server.messaging, backend: server.runtime.backend, wallets: server.runtime.wallets,
                                              owner: "bench-relay-\(relay)", logger: logger).drain(maxPasses: 1_000_000)
                    }
                }
                return try await group.reduce(into: [OutboxRelay.Report]()) { $0.append($1) }
            }
            let seconds = (ContinuousClock.now - start).timeInterval
            let sent = reports.reduce(0) { $0 + $1.sent }
            guard sent == total else { throw ValidationError("relayed \(sent) of \(total)") }
            let callbacks = try await Self.callbacks(client: client, server: server, account: account, authToken: authToken,
                                                     concurrency: concurrency)
            return (accepted, seconds, callbacks)
        }
    }

    /// Posts one signed `delivered` callback per sent message and waits until every report is
    /// applied; the seconds that took. The messages were sent by the simulated provider (which
    /// reports them delivered at once), so they are first handed to the Twilio account whose
    /// token signs the callbacks, as `sent` (a fixture step, not timed).
    private static func callbacks(client: HTTPClient, server: BenchServer.Context, account: String, authToken: String,
                                  concurrency: Int) async throws -> Double {
        let sent = try await server.runtime.sqlite!.write { db in
            try db.run("UPDATE messages SET provider = 'twilio', status = 'sent' WHERE status IN ('sent', 'delivered')")
            return try db.all("SELECT id, provider_message_id FROM messages WHERE status = 'sent' ORDER BY seq") {
                (id: $0["id"] as String, sid: $0["provider_message_id"] as String)
            }
        }
        let path = "/cpaas/v1/webhooks/twilio/status"
        let start = ContinuousClock.now
        _ = try await runConcurrently(total: sent.count, concurrency: concurrency) { index in
            let message = sent[index]
            let url = server.url + path + "?m=" + message.id
            let fields = [(name: "AccountSid", value: account), (name: "MessageSid", value: message.sid),
                          (name: "MessageStatus", value: "delivered")]
            try await BenchHTTP.post(client, url, body: FormEncoding.encode(fields), token: nil,
                                     contentType: "application/x-www-form-urlencoded",
                                     headers: [("X-Twilio-Signature", TwilioSignature.sign(url: url, fields: fields, authToken: authToken))])
        }
        while try await server.runtime.sqlite!.read({ db in try db.scalar("SELECT count(*) FROM delivery_reports WHERE applied_at IS NULL") }) ?? 0 > 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        let seconds = (ContinuousClock.now - start).timeInterval
        let applied = try await server.runtime.sqlite!.read { db in try db.scalar("SELECT count(*) FROM messages WHERE status = 'delivered'") }
        guard applied == Int64(sent.count) else { throw ValidationError("applied \(applied ?? 0) of \(sent.count) callbacks") }
        return seconds
    }
}
