import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPFront
import Histogram
import Hummingbird
import Jobs
import Logging
import MockProvider
import NIOCore
import Runtime
import ServiceLifecycle

/// `switchboard bench inference`: (a) `POST /inference/complete` over HTTP on loopback against
/// the zero-latency simulated provider, with auth, wallet, idempotency-free job recording on;
/// (b) the same through the OpenAI-compatible adapter against `mock-provider`, and the latency
/// Switchboard adds over calling the mock directly, one request in flight; (c) one batch of
/// `--batch-items` items (NDJSON) against the zero-latency simulated provider, from the
/// submission to the batch's `completed`. With `--database`, only (a), across `--instances`
/// servers on that PostgreSQL database, the requests round-robin over them and over `--tenants`.
struct InferenceBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inference", abstract: "Measure completions over HTTP.")

    @Option(help: "Completions in phase (a).")
    var requests = 20_000

    @Option(help: "Requests in flight in phases (a) and (b).")
    var concurrency = 64

    @Option(help: "Sequential requests for the added-latency measurement.")
    var sequential = 2_000

    @Option(help: "Items in the batch of phase (c).")
    var batchItems = 50_000

    @Option(help: "Jobs running at once in the server (serve's --max-in-flight).")
    var maxInFlight = 256

    @Option(help: ArgumentHelp("Directory for the scratch databases.", valueName: "path"))
    var dataDir = "./data"

    @Option(help: ArgumentHelp("Run phase (a) on this PostgreSQL database (postgres://…; it gets the schema and the jobs) instead.",
                               valueName: "url"))
    var database: String?

    @Option(help: "Instances serving phase (a) on --database.")
    var instances = 2

    @Option(help: "Tenants (each its own wallet) the requests of phase (a) on --database spread over.")
    var tenants = 1

    func validate() throws {
        guard (1...10_000_000).contains(requests), (1...4_096).contains(concurrency), (10...1_000_000).contains(sequential),
              (1...InferenceBatches.maxItems).contains(batchItems) else {
            throw ValidationError("--requests 1...10000000, --concurrency 1...4096, --sequential 10...1000000, --batch-items 1...50000")
        }
        guard (1...16).contains(instances) else { throw ValidationError("--instances 1...16") }
        guard (1...1_000).contains(tenants) else { throw ValidationError("--tenants 1...1000") }
        if let database { do { _ = try PostgresURL(parsing: database) } catch { throw ValidationError(error.description) } }
    }

    func run() async throws {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)))
        do {
            try await measure(client: client, logger: logger)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func measure(client: HTTPClient, logger: Logger) async throws {
        let body = #"{"prompt":"hello there, how are you today?","maxTokens":16}"#
        if let database { return try await measureFleet(on: try PostgresURL(parsing: database), client: client, body: body, logger: logger) }

        // (a) the simulated provider
        let simulated = try await BenchServer.run(dataDir: dataDir, maxInFlight: maxInFlight, llm: .development, providers: [ProviderSettings(id: "simulated", kind: .simulated(.init()))],
                                             logger: logger) { (server: BenchServer.Context) in
            let before = try await server.databaseBytes()
            let run = try await runConcurrently(total: requests, concurrency: concurrency) { _ in
                try await BenchHTTP.post(client, server.url + "/llm-orch/v1/inference/complete", body: body, token: server.token)
            }
            return (run, try await server.databaseBytes() - before)
        }
        let completeRate = Double(requests) / simulated.0.seconds
        let bytesPer100k = Double(simulated.1) / Double(requests) * 100_000
        print("complete (simulated): \(Int(completeRate)) req/s, p50 \(simulated.0.latency.milliseconds(atPercentile: 50)) ms, "
              + "p99 \(simulated.0.latency.milliseconds(atPercentile: 99)) ms; database grew \(simulated.1) bytes "
              + "(\(Int(bytesPer100k / 1_048_576)) MiB per 100k completions)")

        // (b) the OpenAI adapter against mock-provider
        let (adapter, added) = try await MockProvider.withRunning { _, mockURL in
            let llm = LLMConfiguration(models: ["gpt-bench": .init(maxOutputTokens: 1_000, price: ModelPrice(inputPer1K: 150, outputPer1K: 600))],
                                       routing: LLMRouting(routes: ["chat": [RouteTarget(provider: "openai", model: "gpt-bench")]],
                                                           defaultUseCase: "chat"))
            return try await BenchServer.run(dataDir: dataDir, maxInFlight: maxInFlight, llm: llm, providers: [ProviderSettings(id: "openai", kind: .openAICompatible(
                baseURL: mockURL, apiKey: nil, timeout: .seconds(30)))], logger: logger) { url, token in
                let loaded = try await runConcurrently(total: requests / 2, concurrency: concurrency) { _ in
                    try await BenchHTTP.post(client, url + "/llm-orch/v1/inference/complete", body: body, token: token)
                }
                let direct = try await runConcurrently(total: sequential, concurrency: 1) { _ in
                    try await BenchHTTP.post(client, mockURL + "/v1/chat/completions",
                                        body: #"{"model":"gpt-bench","messages":[{"role":"user","content":"hello there, how are you today?"}],"max_tokens":16}"#,
                                        token: nil)
                }
                let through = try await runConcurrently(total: sequential, concurrency: 1) { _ in
                    try await BenchHTTP.post(client, url + "/llm-orch/v1/inference/complete", body: body, token: token)
                }
                return (loaded, (direct.latency, through.latency))
            }
        }
        let adapterRate = Double(requests / 2) / adapter.seconds
        let addedP50 = added.1.milliseconds(atPercentile: 50) - added.0.milliseconds(atPercentile: 50)
        let addedP99 = added.1.milliseconds(atPercentile: 99) - added.0.milliseconds(atPercentile: 99)
        print("complete (OpenAI adapter → mock-provider): \(Int(adapterRate)) req/s, p99 \(adapter.latency.milliseconds(atPercentile: 99)) ms; "
              + "at 1 in flight: mock direct p50 \(added.0.milliseconds(atPercentile: 50)) / p99 \(added.0.milliseconds(atPercentile: 99)) ms, through Switchboard p50 "
              + "\(added.1.milliseconds(atPercentile: 50)) / p99 \(added.1.milliseconds(atPercentile: 99)) ms, added p50 \(rounded(addedP50)) / p99 \(rounded(addedP99)) ms")
        // (c) one batch against the simulated provider
        let lines = (1...batchItems).map { #"{"customId":"item-\#($0)","prompt":"hello there, how are you today?","maxTokens":16}"# }
        let ndjson = lines.joined(separator: "\n")
        let (accepted, finished) = try await BenchServer.run(dataDir: dataDir, maxInFlight: maxInFlight, llm: .development, providers: [ProviderSettings(id: "simulated", kind: .simulated(.init()))],
                                                        logger: logger) { url, token in
            let start = ContinuousClock.now
            let created = try await BenchHTTP.post(client, url + "/llm-orch/v1/inference/batches", body: ndjson, token: token,
                                              contentType: "application/x-ndjson", expect: 202)
            let accepted = ContinuousClock.now - start
            guard let id = try JSONSerialization.jsonObject(with: Data(buffer: created)) as? [String: Any],
                  let batchID = (id["data"] as? [String: Any])?["id"] as? String else { throw ValidationError("no batch id") }
            while true {
                let batch = try await BenchHTTP.get(client, url + "/llm-orch/v1/inference/batches/" + batchID, token: token)
                let data = (try JSONSerialization.jsonObject(with: Data(buffer: batch)) as? [String: Any])?["data"] as? [String: Any]
                let status = data?["status"] as? String
                if status == "completed" {
                    let counts = data?["requestCounts"] as? [String: Any]
                    guard counts?["completed"] as? Int == batchItems else { throw ValidationError("batch ended with \(counts ?? [:])") }
                    break
                }
                guard status == "in_progress" || status == "finalizing" else { throw ValidationError("batch ended \(status ?? "?")") }
                try await Task.sleep(for: .milliseconds(250))
            }
            return (accepted, ContinuousClock.now - start)
        }
        let batchRate = Double(batchItems) / finished.timeInterval
        print("batch (simulated): \(batchItems) items accepted in \(rounded(accepted.timeInterval)) s, completed in "
              + "\(rounded(finished.timeInterval)) s: \(Int(batchRate)) items/s")
        printJSONLine(["bench": "inference", "completeReqPerSec": completeRate, "completeP99Ms": simulated.0.latency.milliseconds(atPercentile: 99),
                       "bytesPer100kCompletions": bytesPer100k,
                       "adapterReqPerSec": adapterRate, "addedP99MsAt1": addedP99, "batchItemsPerSec": batchRate])
    }


    /// Phase (a) across `instances` servers on one PostgreSQL database.
    private func measureFleet(on database: PostgresURL, client: HTTPClient, body: String, logger: Logger) async throws {
        let (run, urls) = try await BenchServer.run(dataDir: dataDir, maxInFlight: maxInFlight, database: database, instances: instances,
                                                    tenants: tenants, logger: logger) { (server: BenchServer.Context) in
            let run = try await runConcurrently(total: requests, concurrency: concurrency) { index in
                try await BenchHTTP.post(client, server.urls[index % server.urls.count] + "/llm-orch/v1/inference/complete", body: body,
                                         token: server.tokens[(index / server.urls.count) % server.tokens.count])
            }
            return (run, server.urls.count)
        }
        let rate = Double(requests) / run.seconds
        print("complete (simulated) through \(urls) instances on PostgreSQL, \(tenants) tenant(s): \(Int(rate)) req/s, p50 \(run.latency.milliseconds(atPercentile: 50)) ms, "
              + "p99 \(run.latency.milliseconds(atPercentile: 99)) ms")
        printJSONLine(["bench": "inference", "database": "postgres", "instances": Double(urls), "tenants": Double(tenants),
                       "completeReqPerSec": rate,
                       "completeP99Ms": run.latency.milliseconds(atPercentile: 99)])
    }

    private func rounded(_ value: Double) -> Double { (value * 1_000).rounded() / 1_000 }

}
