import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import MockProvider
import AsyncHTTPClient
import NIOCore
import Runtime
import Testing

@Suite("POST /inference/complete")
struct InferenceCompleteTests {
    static let path = "/llm-orch/v1/inference/complete"

    @Test("a completion runs as a job, charges exactly its usage at the model's price and shows the wallet")
    func success() async throws {
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let response = try await client.send(.post, Self.path, token: token, json: #"{"prompt":"hello there","maxTokens":10}"#)
            #expect(response.status == .ok)
            let data = try #require(try ParsedEnvelope(response).dataObject)
            #expect(data["provider"] as? String == "simulated")
            #expect(data["model"] as? String == "sim-small")
            let usage = try #require(data["usage"] as? [String: Any])
            let input = try #require(usage["inputTokens"] as? Int)
            let output = try #require(usage["outputTokens"] as? Int)
            let cost = try #require(LLMConfiguration.development.prices.cost(of: TokenUsage(inputTokens: input, outputTokens: output), model: "sim-small"))
            #expect(data["costUsd"] as? String == cost.usdString)
            let balance = try #require(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)))
            #expect(balance.balance == MicroUSD(usd: 1) - cost)
            #expect(balance.reserved == MicroUSD(0))
            #expect((data["wallet"] as? [String: Any])?["balanceUsd"] as? String == balance.balance.usdString)

            let id = try #require(data["id"] as? String)
            let job = try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs/\(id)", token: token)).dataObject
            #expect(job?["kind"] as? String == "inference.complete")
            #expect(job?["state"] as? String == "succeeded")
            #expect(providerBox.provider?.callCount == 1)
        }
    }

    @Test("over the budget header or the wallet: 402 before any reservation, job or provider call")
    func refusedBeforeCalling() async throws {
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "0.001")
            let budget = try await client.send(.post, Self.path, token: token, json: #"{"prompt":"hi","maxTokens":1000}"#,
                                               headers: [.init("x-budget-max-usd")!: "0.0001"])
            #expect(budget.status.code == 402)
            #expect(try ParsedEnvelope(budget).errorCode == "budget_exceeded")
            let poor = try await client.send(.post, Self.path, token: token, json: #"{"prompt":"hi","maxTokens":4000}"#)
            #expect(poor.status.code == 402)
            #expect(try ParsedEnvelope(poor).errorCode == "insufficient_credits")
            #expect(providerBox.provider?.callCount == 0)
            #expect(try await harness.runtime.jobs.jobs(tenant: TestKeys.tenant, states: [], kind: "inference.complete", before: nil, limit: 10).isEmpty)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.reserved == MicroUSD(0))
        }
    }

    @Test("an Idempotency-Key replay returns the stored answer and charges nothing more")
    func replay() async throws {
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let key: HTTPFields = [.init("Idempotency-Key")!: "complete-1"]
            let first = try await client.send(.post, Self.path, token: token, json: #"{"prompt":"hi","maxTokens":5}"#, headers: key)
            let balance = try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))
            let second = try await client.send(.post, Self.path, token: token, json: #"{"prompt":"hi","maxTokens":5}"#, headers: key)
            #expect(second.headers[.init("Idempotency-Replayed")!] == "true")
            #expect(String(buffer: second.body) == String(buffer: first.body))
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)) == balance)
            #expect(providerBox.provider?.callCount == 1)
        }
    }

    @Test("when every provider fails: 502 provider_unavailable and the reservation is released")
    func providerDown() async throws {
        let harness = try await Harness.make(providers: { [SimulatedProvider(configuration: .init(errorRate: 1), clock: $0)] })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let response = try await client.send(.post, Self.path, token: token, json: #"{"prompt":"hi","maxTokens":5}"#)
            #expect(response.status == .badGateway)
            #expect(try ParsedEnvelope(response).errorCode == "provider_unavailable")
            let balance = try #require(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)))
            #expect(balance.balance == MicroUSD(usd: 1) && balance.reserved == MicroUSD(0))
        }
    }

    @Test("the user wallet pays when it covers the request; x-wallet: team forces the team wallet")
    func walletChoice() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token(sub: "alice")
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            try await client.credit(tenant: TestKeys.tenant, wallet: "user:alice", amount: "1.00")
            _ = try await client.send(.post, Self.path, token: token, json: #"{"prompt":"hi","maxTokens":5}"#)
            #expect(try await harness.runtime.wallets.balance(of: .user(TestKeys.tenant, "alice"))!.balance < MicroUSD(usd: 1))
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))!.balance == MicroUSD(usd: 1))
            _ = try await client.send(.post, Self.path, token: token, json: #"{"prompt":"hi","maxTokens":5}"#,
                                      headers: [.init("x-wallet")!: "team"])
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))!.balance < MicroUSD(usd: 1))
        }
    }

    @Test("bad requests are 400 naming the field", arguments: [
        (#"{"prompt":"hi"}"#, "maxTokens"),
        (#"{"prompt":"hi","maxTokens":0}"#, "maxTokens"),
        (#"{"prompt":"hi","maxTokens":100000}"#, "maxTokens"),
        (#"{"prompt":"hi","maxTokens":"ten"}"#, "maxTokens"),
        (#"{"prompt":"hi","maxTokens":5,"temperature":2.5}"#, "temperature"),
        (#"{"prompt":"hi","maxTokens":5,"useCase":"poetry"}"#, "useCase"),
        (#"{"prompt":"hi","maxTokens":5,"useCase":"reasoning","model":"sim-small"}"#, "model"),
        (#"{"prompt":"","maxTokens":5}"#, "prompt"),
        (#"{"maxTokens":5}"#, "prompt"),
        (#"{"prompt":"hi","messages":[{"role":"user","content":"hi"}],"maxTokens":5}"#, "messages"),
        (#"{"messages":[],"maxTokens":5}"#, "messages"),
        (#"{"messages":[{"role":"robot","content":"hi"}],"maxTokens":5}"#, "messages[0].role"),
        (#"{"prompt":"hi","maxTokens":5,"stream":"yes"}"#, "stream"),
    ])
    func badRequests(body: String, field: String) async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            let response = try await client.send(.post, Self.path, token: token, json: body)
            #expect(response.status == .badRequest)
            #expect(try ParsedEnvelope(response).errorField == field)
        }
    }

    @Test("bad budget and wallet headers are 400 naming the header")
    func badHeaders() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            for (name, value) in [("x-budget-max-usd", "-1"), ("x-budget-max-usd", "cheap"), ("x-wallet", "bank")] {
                let response = try await client.send(.post, Self.path, token: token, json: #"{"prompt":"hi","maxTokens":5}"#,
                                                      headers: [.init(name)!: value])
                #expect(response.status == .badRequest, "\(name): \(value)")
                #expect(try ParsedEnvelope(response).errorField == name)
            }
        }
    }
}

@Suite("POST /inference/complete with stream: true")
struct InferenceStreamTests {
    /// The events of a Server-Sent Events body: (event name, data).
    static func events(_ body: String) -> [(String, String)] {
        body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
            var name = "message", data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            return (name, data)
        }
    }

    @Test("deltas arrive as events, then done with usage and cost; their text is the answer's; the wallet is charged once")
    func streamed() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test(.live) { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let response = try await client.send(.post, InferenceCompleteTests.path, token: token,
                                                 json: #"{"prompt":"hello there","maxTokens":8,"stream":true}"#,
                                                 headers: [.init("Idempotency-Key")!: "stream-1"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = Self.events(String(buffer: response.body))
            let deltas = try events.filter { $0.0 == "message" }.map { event -> String in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(event.1.utf8)) as? [String: Any])
                return try #require(object["delta"] as? String)
            }
            #expect(deltas.count == 8)
            let done = try #require(events.last)
            #expect(done.0 == "done")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(done.1.utf8)) as? [String: Any])
            #expect(answer["text"] as? String == deltas.joined())
            let cost = try MicroUSD(parsingUSD: try #require(answer["costUsd"] as? String))
            let balance = try #require(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)))
            #expect(balance.balance == MicroUSD(usd: 1) - cost && balance.reserved == MicroUSD(0))

            let replay = try await client.send(.post, InferenceCompleteTests.path, token: token,
                                               json: #"{"prompt":"hello there","maxTokens":8,"stream":true}"#,
                                               headers: [.init("Idempotency-Key")!: "stream-1"])
            #expect(replay.headers[.init("Idempotency-Replayed")!] == "true")
            #expect(String(buffer: replay.body) == String(buffer: response.body))
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)) == balance)
        }
    }

    @Test("a stream whose job fails ends with an error event, and nothing stays reserved")
    func streamedFailure() async throws {
        let harness = try await Harness.make(providers: { [SimulatedProvider(configuration: .init(errorRate: 1), clock: $0)] })
        let token = try await harness.token()
        try await harness.test(.live) { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let response = try await client.send(.post, InferenceCompleteTests.path, token: token,
                                                 json: #"{"prompt":"hello","maxTokens":8,"stream":true}"#)
            let last = try #require(Self.events(String(buffer: response.body)).last)
            #expect(last.0 == "error")
            #expect(last.1.contains("provider_unavailable"))
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.reserved == MicroUSD(0))
        }
    }
}

/// Keeps the simulated provider the harness makes, so a test can count its calls.
final class ProviderBox: @unchecked Sendable {
    // @unchecked: written once by `make` during Harness.make, before any request reads it.
    var provider: SimulatedProvider?

    func make(_ clock: TestClock) -> [any LLMProvider] {
        let made = SimulatedProvider(clock: clock)
        provider = made
        return [made]
    }
}

@Suite("POST /inference/complete through the OpenAI adapter")
struct InferenceOverAdapterTests {
    @Test("over real HTTP: Switchboard → OpenAI-compatible adapter → mock-provider, charged at the model's price")
    func throughTheAdapter() async throws {
        try await MockProvider.withRunning { mock, url in
            let configuration = LLMConfiguration(
                models: ["gpt-test": .init(maxOutputTokens: 1_000, price: ModelPrice(inputPer1K: 1_000, outputPer1K: 2_000))],
                routing: LLMRouting(routes: ["chat": [RouteTarget(provider: "openai", model: "gpt-test")]], defaultUseCase: "chat"))
            let harness = try await Harness.make(llmConfiguration: configuration,
                                                 providers: { _ in [OpenAICompatibleProvider(id: "openai", baseURL: url)] })
            let token = try await harness.token()
            try await harness.test(.live) { client in
                try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
                let response = try await client.send(.post, InferenceCompleteTests.path, token: token,
                                                     json: #"{"prompt":"hello there","maxTokens":5}"#)
                #expect(response.status == .ok)
                let data = try #require(try ParsedEnvelope(response).dataObject)
                #expect(data["provider"] as? String == "openai")
                #expect(data["text"] as? String == "mock mock mock mock mock")
                // mock usage: 7 input, 5 output → (7 × 1000 + 5 × 2000) / 1000 = 17 micro-USD
                #expect(data["costUsd"] as? String == "0.000017")
                #expect(mock.callCount == 1)
            }
        }
    }
}

@Suite("A streaming client that goes away")
struct StreamDisconnectTests {
    @Test("the job finishes without the client and charges exactly the tokens the provider produced")
    func disconnect() async throws {
        let harness = try await Harness.make(providers: {
            [SimulatedProvider(configuration: .init(tokensPerSecond: 10, outputTokens: 6), clock: $0)]
        })
        let token = try await harness.token()
        let app = harness.application()
        try await app.test(.live) { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let port = try #require(client.port)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(InferenceCompleteTests.path)")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.body = .bytes(ByteBuffer(string: #"{"prompt":"hello","maxTokens":6,"stream":true}"#))
            let reader = Task {
                let response = try await http.execute(request, timeout: .seconds(30))
                for try await _ in response.body { return }  // the first delta, then hang up
            }
            // Time moves in 100 ms steps (the provider says a word each); the client reads the
            // first word and hangs up while the provider goes on with nobody listening.
            let ticker = Task {
                while !Task.isCancelled {
                    harness.clock.advance(by: .milliseconds(100))
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            defer { ticker.cancel() }
            try await reader.value
            defer { Task { try? await http.shutdown() } }
            var jobs: [JobRecord] = []
            for _ in 0..<2_000 {
                jobs = try await harness.runtime.jobs.jobs(tenant: TestKeys.tenant, states: [.succeeded], kind: "inference.complete",
                                                           before: nil, limit: 1)
                if !jobs.isEmpty { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            let job = try #require(jobs.first, "the job did not finish after the client left")
            let output = try JSONDecoder().decode(InferenceCompleteJob.Output.self, from: try #require(job.result))
            #expect(output.usage.outputTokens == 6)
            let expected = try #require(LLMConfiguration.development.prices.cost(of: output.usage, model: output.model))
            #expect(output.costMicroUSD == expected.value)
            let balance = try #require(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)))
            #expect(balance.balance == MicroUSD(usd: 1) - expected && balance.reserved == MicroUSD(0))
        }
        await harness.runtime.close()
    }
}
