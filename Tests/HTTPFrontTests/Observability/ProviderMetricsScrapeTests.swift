import AsyncHTTPClient
import Foundation
import HummingbirdTesting
@testable import HTTPFront
@testable import Jobs
import MockProvider
import Runtime
import Testing

/// The provider series on `/metrics` after real calls to mock-provider: one that fails (503)
/// and falls back to one that answers.
@Suite("Provider metrics on /metrics")
struct ProviderMetricsScrapeTests {
    @Test("a 503 then a fallback: calls by outcome, errors by kind, the fallback, latency, limiter waits and the breaker")
    func failureAndFallback() async throws {
        try await MockProvider.withRunning { mock, url in
            let price = ModelPrice(inputPer1K: 1_000, outputPer1K: 2_000)
            let configuration = LLMConfiguration(
                models: ["fail-503": .init(maxOutputTokens: 1_000, price: price), "gpt-test": .init(maxOutputTokens: 1_000, price: price)],
                routing: LLMRouting(routes: ["chat": [RouteTarget(provider: "openai", model: "fail-503"),
                                                      RouteTarget(provider: "openai", model: "gpt-test")]], defaultUseCase: "chat"))
            let harness = try await Harness.make(llmConfiguration: configuration,
                                                 providers: { _ in [OpenAICompatibleProvider(id: "openai", baseURL: url)] })
            let token = try await harness.token()
            try await harness.test { http in
                try await http.credit(tenant: TestKeys.tenant, amount: "1.00")
                let answer = try await http.send(.post, InferenceCompleteTests.path, token: token, json: #"{"prompt":"hello","maxTokens":5}"#)
                #expect(answer.status == .ok)
                #expect(mock.callCount == 2)
                let metrics = try await PrometheusText.scrape(http)
                let failing = ["provider": "openai", "model": "fail-503"], working = ["provider": "openai", "model": "gpt-test"]
                #expect(metrics.value("switchboard_provider_requests_total", failing.merging(["outcome": "error"]) { $1 }) == 1)
                #expect(metrics.value("switchboard_provider_requests_total", failing.merging(["outcome": "success"]) { $1 }) == 0)
                #expect(metrics.value("switchboard_provider_requests_total", working.merging(["outcome": "success"]) { $1 }) == 1)
                #expect(metrics.value("switchboard_provider_errors_total", ["provider": "openai", "kind": "unavailable"]) == 1)
                #expect(metrics.value("switchboard_provider_fallbacks_total", ["from": "openai/fail-503", "to": "openai/gpt-test"]) == 1)
                #expect(metrics.value("switchboard_provider_retries_total", failing) == 0)
                #expect(metrics.value("switchboard_provider_request_duration_seconds_count", failing) == 1)
                #expect(metrics.value("switchboard_provider_request_duration_seconds_count", working) == 1)
                #expect(metrics.value("switchboard_rate_limiter_wait_seconds_count", ["limiter": "llm:openai:gpt-test"]) == 1)
                #expect(metrics.value("switchboard_circuit_breaker_state", ["domain": "llm", "provider": "openai"]) == 0)
            }
        }
    }
}
