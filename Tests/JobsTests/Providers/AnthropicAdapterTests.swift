import Foundation
@testable import Jobs
import MockProvider
import Runtime
import Testing

@Suite("Anthropic adapter against mock-provider over HTTP")
struct AnthropicAdapterTests {
    func request(_ model: String, maxTokens: Int = 8) -> ProviderRequest {
        ProviderRequest(model: model, messages: [ChatMessage(role: .system, content: "be brief"),
                                                 ChatMessage(role: .user, content: "hello there")], maxTokens: maxTokens)
    }

    @Test("a message comes back with its text, stop reason read as OpenAI's, and the provider's usage")
    func success() async throws {
        try await MockProvider.withRunning { mock, url in
            let provider = AnthropicProvider(baseURL: url, apiKey: "test")
            let capped = try await provider.complete(request("claude-test", maxTokens: 3))
            #expect(capped.text == "mock mock mock")
            #expect(capped.finishReason == "length")
            // input: "hello there" (3 + 4) and the system text (2 + 4)
            #expect(capped.usage == TokenUsage(inputTokens: 13, outputTokens: 3))
            let full = try await provider.complete(request("claude-test", maxTokens: 100))
            #expect(full.finishReason == "stop")
            #expect(mock.callCount == 2)
        }
    }

    @Test("rate_limit_error, overloaded_error (529), invalid requests and timeouts map for the router")
    func failures() async throws {
        try await MockProvider.withRunning { _, url in
            // Only "slow" (the mock takes 2 s) is asked with the 1 s timeout; the others get a long
            // one, so a busy machine (the whole suite in parallel) cannot turn them into timeouts.
            let patient = AnthropicProvider(baseURL: url, timeout: .seconds(30))
            let hasty = AnthropicProvider(baseURL: url, timeout: .seconds(1))
            let cases: [(String, ProviderError.Kind)] = [
                ("fail-429", .rateLimited(retryAfter: .seconds(2))), ("fail-503", .unavailable),
                ("fail-400", .invalidRequest), ("slow", .timeout),
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
    }
}

@Suite("Anthropic streaming against mock-provider")
struct AnthropicStreamingTests {
    @Test("text deltas in order; input tokens from message_start, output and stop reason from message_delta")
    func streamed() async throws {
        try await MockProvider.withRunning { _, url in
            let provider = AnthropicProvider(baseURL: url)
            var deltas: [String] = []
            var finished: ProviderResponse?
            for try await chunk in provider.stream(ProviderRequest(model: "claude-test", messages: [ChatMessage(role: .user, content: "hello there")],
                                                                   maxTokens: 3)) {
                switch chunk {
                case .delta(let text): deltas.append(text)
                case .finished(let response): finished = response
                }
            }
            #expect(deltas == ["mock", " mock", " mock"])
            #expect(finished == ProviderResponse(text: "mock mock mock", finishReason: "length", usage: TokenUsage(inputTokens: 7, outputTokens: 3)))
        }
    }
}
