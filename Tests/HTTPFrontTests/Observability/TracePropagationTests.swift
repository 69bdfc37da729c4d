import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import HTTPFront
@testable import Jobs
import MockProvider
import Runtime
import Testing

/// W3C trace context from the incoming request to what it causes: the provider calls made in
/// the request, the batch items the workers run later (the trace stored with each job), the
/// message the relay sends later (stored with its outbox row) and the webhook the dispatcher
/// delivers later (stored with the event).
@Suite("Trace context propagation")
struct TracePropagationTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let clientSpan = "00f067aa0ba902b7"
    static let incoming: HTTPFields = [HTTPField.Name("traceparent")!: "00-\(traceID)-\(clientSpan)-01"]

    static let llm = LLMConfiguration(
        models: ["gpt-test": .init(maxOutputTokens: 1_000, price: ModelPrice(inputPer1K: 1_000, outputPer1K: 2_000))],
        routing: LLMRouting(routes: ["chat": [RouteTarget(provider: "openai", model: "gpt-test")]], defaultUseCase: "chat"))

    /// Checks `sent` continues trace `traceID` in a span of its own (not the client's).
    static func continues(_ sent: String?, _ traceID: String = traceID, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sent.flatMap(TraceParent.traceID) == traceID, "\(sent ?? "no traceparent")", sourceLocation: sourceLocation)
        #expect(sent?.contains(clientSpan) == false, "a span of its own", sourceLocation: sourceLocation)
    }

    @Test("a completion's provider call carries the request's trace id; without a traceparent meta.trace_id names the new trace")
    func completion() async throws {
        TestTracing.bootstrap()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)  // after the tracer: the client takes it now
        try await MockProvider.withRunning { mock, url in
            let harness = try await Harness.make(llmConfiguration: Self.llm,
                                                 providers: { _ in [OpenAICompatibleProvider(id: "openai", baseURL: url, client: client)] })
            let token = try await harness.token()
            try await harness.test(.live) { http in
                try await http.credit(tenant: TestKeys.tenant, amount: "1.00")
                let traced = try await http.send(.post, InferenceCompleteTests.path, token: token,
                                                 json: #"{"prompt":"hello","maxTokens":5}"#, headers: Self.incoming)
                #expect(traced.status == .ok)
                #expect(try ParsedEnvelope(traced).meta?["trace_id"] as? String == Self.traceID)
                #expect(mock.traceparents.count == 1)
                Self.continues(mock.traceparents.last)

                let fresh = try await http.send(.post, InferenceCompleteTests.path, token: token, json: #"{"prompt":"hello","maxTokens":5}"#)
                let freshID = try #require(try ParsedEnvelope(fresh).meta?["trace_id"] as? String)
                #expect(freshID != Self.traceID)
                #expect(mock.traceparents.count == 2)
                #expect(mock.traceparents.last.flatMap(TraceParent.traceID) == freshID)
            }
        }
        try await client.shutdown()
    }

    @Test("a batch's items, run later by the workers, call the provider in the trace of the request that created the batch")
    func batchJobs() async throws {
        TestTracing.bootstrap()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        try await MockProvider.withRunning { mock, url in
            let harness = try await Harness.make(llmConfiguration: Self.llm,
                                                 providers: { _ in [OpenAICompatibleProvider(id: "openai", baseURL: url, client: client)] })
            let token = try await harness.token()
            try await harness.test { http in
                try await http.credit(tenant: TestKeys.tenant, amount: "1.00")
                let created = try await http.send(.post, BatchTests.path, token: token, json: #"{"items":[\#(BatchTests.items(3))]}"#,
                                                  headers: Self.incoming)
                #expect(created.status == .accepted)
                let id = try #require(try ParsedEnvelope(created).dataObject?["id"] as? String)
                try await BatchTests.waitUntil(harness, "the batch completed") {
                    try await BatchTests.status(http, id, token: token) == "completed"
                }
            }
            #expect(mock.traceparents.count == 3)
            for sent in mock.traceparents { Self.continues(sent) }
            #expect(Set(mock.traceparents).count == 3, "a span per call")
        }
        try await client.shutdown()
    }
}
