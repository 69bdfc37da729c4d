import Foundation
import NIOCore
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
            // Only "slow" (the mock takes 2 s) is asked with the 1 s timeout; the others get a long
            // one, so a busy machine (the whole suite in parallel) cannot turn them into timeouts.
            let patient = OpenAICompatibleProvider(baseURL: url, timeout: .seconds(30))
            let hasty = OpenAICompatibleProvider(baseURL: url, timeout: .seconds(1))
            let cases: [(String, ProviderError.Kind)] = [
                ("fail-429", .rateLimited(retryAfter: .seconds(2))), ("fail-quota", .quotaExceeded),
                ("fail-503", .unavailable), ("fail-400", .invalidRequest), ("slow", .timeout),
            ]
            for (model, kind) in cases {
                let provider = model == "slow" ? hasty : patient
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

@Suite("OpenAI-compatible streaming against mock-provider")
struct OpenAIStreamingTests {
    @Test("deltas arrive in order and the usage chunk (stream_options.include_usage) is the usage")
    func streamed() async throws {
        try await MockProvider.withRunning { mock, url in
            let provider = OpenAICompatibleProvider(baseURL: url)
            var deltas: [String] = []
            var finished: ProviderResponse?
            for try await chunk in provider.stream(ProviderRequest(model: "gpt-test", messages: [ChatMessage(role: .user, content: "hello there")],
                                                                   maxTokens: 4)) {
                switch chunk {
                case .delta(let text): deltas.append(text)
                case .finished(let response): finished = response
                }
            }
            #expect(deltas == ["mock", " mock", " mock", " mock"])
            #expect(finished == ProviderResponse(text: "mock mock mock mock", finishReason: "stop", usage: TokenUsage(inputTokens: 7, outputTokens: 4)))
            #expect(mock.callCount == 1)
        }
    }

    @Test("a streamed call that fails before any delta fails like a plain call (the router may fall back)")
    func streamedFailure() async throws {
        try await MockProvider.withRunning { _, url in
            let provider = OpenAICompatibleProvider(baseURL: url)
            do {
                for try await _ in provider.stream(ProviderRequest(model: "fail-503", messages: [ChatMessage(role: .user, content: "x")], maxTokens: 4)) {}
                Issue.record("expected a failure")
            } catch let error as ProviderError {
                #expect(error.kind == .unavailable)
            }
        }
    }

    @Test("server-sent events are read across arbitrary chunk boundaries")
    func splitter() async throws {
        let text = "event: a\ndata: one\n\ndata: two\r\ndata: three\n\n: comment\n\ndata: [DONE]\n\n"
        for size in [1, 2, 3, 7, 100] {
            let bytes = Array(text.utf8)
            let chunks = stride(from: 0, to: bytes.count, by: size).map { ByteBuffer(bytes: bytes[$0..<min($0 + size, bytes.count)]) }
            var events: [ServerSentEvents<AsyncStream<ByteBuffer>>.Event] = []
            let stream = AsyncStream<ByteBuffer> { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
            for try await event in ServerSentEvents(body: stream) { events.append(event) }
            #expect(events == [.init(name: "a", data: "one"), .init(name: nil, data: "two\nthree"), .init(name: nil, data: "[DONE]")],
                    "chunks of \(size)")
        }
    }
}
