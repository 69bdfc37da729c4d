import Foundation
import Hummingbird
@testable import Jobs
import Logging
import MockProvider
import Runtime
import ServiceLifecycle
import Testing

@Suite("OpenAI-compatible adapter against mock-provider over HTTP")
struct OpenAIAdapterTests {
    func request(_ model: String, maxTokens: Int = 8) -> ProviderRequest {
        ProviderRequest(model: model, messages: [ChatMessage(role: .user, content: "hello there")], maxTokens: maxTokens)
    }

    @Test("a completion comes back with its text, finish reason and the provider's usage")
    func success() async throws {
        try await MockProvider.withRunning { mock, url in
            let provider = OpenAICompatibleProvider(baseURL: url)
            let response = try await provider.complete(request("gpt-test", maxTokens: 5))
            #expect(response.text == "mock mock mock mock mock")
            #expect(response.finishReason == "stop")
            #expect(response.usage == TokenUsage(inputTokens: 7, outputTokens: 5))
            #expect(mock.callCount == 1)
        }
    }

    @Test("failures map to what the router can act on: 429 with its wait, quota, 5xx, 4xx, timeout, refused")
    func failures() async throws {
        try await MockProvider.withRunning { _, url in
            let provider = OpenAICompatibleProvider(baseURL: url, timeout: .milliseconds(300))
            let cases: [(String, ProviderError.Kind)] = [
                ("fail-429", .rateLimited(retryAfter: .seconds(2))), ("fail-quota", .quotaExceeded),
                ("fail-503", .unavailable), ("fail-400", .invalidRequest), ("slow", .timeout),
            ]
            for (model, kind) in cases {
                do {
                    _ = try await provider.complete(request(model))
                    Issue.record("\(model) should fail")
                } catch let error as ProviderError {
                    #expect(error.kind == kind, "\(model): \(error)")
                }
            }
        }
        let refused = OpenAICompatibleProvider(baseURL: "http://127.0.0.1:1", timeout: .seconds(2))
        await #expect(throws: ProviderError.self) { try await refused.complete(request("gpt-test")) }
    }

    @Test("through the router: a 503 from the first provider falls back to the second over real HTTP")
    func fallbackOverHTTP() async throws {
        try await MockProvider.withRunning { mock, url in
            let clock = TestClock()
            let router = LLMRouter(
                providers: [OpenAICompatibleProvider(id: "primary", baseURL: url), OpenAICompatibleProvider(id: "backup", baseURL: url)],
                routing: LLMRouting(routes: ["chat": [RouteTarget(provider: "primary", model: "fail-503"),
                                                      RouteTarget(provider: "backup", model: "gpt-test")]], defaultUseCase: "chat"),
                limiter: RateLimiter(clock: clock), clock: clock, retry: .init(attemptsPerTarget: 1))
            let routed = try await router.complete(request(""), targets: try router.routing.targets(useCase: nil, model: nil),
                                                   deadline: clock.now().addingTimeInterval(30))
            #expect(routed.target.provider == "backup")
            #expect(mock.callCount == 2)
        }
    }
}
