import Foundation
@testable import Jobs
import Runtime
import Testing

@Suite("Prices, token estimates and the simulated provider")
struct PricingAndProviderTests {
    let prices = PriceTable(["small": ModelPrice(inputPer1K: 150, outputPer1K: 600)])

    @Test("costs round up to the next micro-USD and the worst case prices every allowed output token")
    func costs() {
        #expect(prices.cost(of: TokenUsage(inputTokens: 1_000, outputTokens: 1_000), model: "small") == MicroUSD(750))
        #expect(prices.cost(of: TokenUsage(inputTokens: 1, outputTokens: 0), model: "small") == MicroUSD(1))  // 0.15 → 1
        #expect(prices.cost(of: TokenUsage(inputTokens: 0, outputTokens: 0), model: "small") == MicroUSD(0))
        #expect(prices.worstCase(inputTokens: 10, maxTokens: 100, model: "small") == MicroUSD(62))  // (1500 + 60000) / 1000 ↑
        #expect(prices.cost(of: TokenUsage(inputTokens: 1, outputTokens: 1), model: "unknown") == nil)
        let huge = PriceTable(["x": ModelPrice(inputPer1K: .max, outputPer1K: .max)])
        #expect(huge.cost(of: TokenUsage(inputTokens: .max, outputTokens: .max), model: "x")! > MicroUSD(usd: 1_000_000_000))
    }

    @Test("input tokens are estimated at four bytes a token plus framing per message")
    func estimate() {
        #expect(TokenEstimate.inputTokens([ChatMessage(role: .user, content: "")]) == 4)
        #expect(TokenEstimate.inputTokens([ChatMessage(role: .user, content: "12345678")]) == 6)
        #expect(TokenEstimate.inputTokens([ChatMessage(role: .system, content: "abc"), ChatMessage(role: .user, content: "abcde")]) == 11)
    }

    @Test("the simulated provider is deterministic for a seed, caps output at maxTokens and reports usage")
    func simulated() async throws {
        let request = ProviderRequest(model: "small", messages: [ChatMessage(role: .user, content: "hello there")], maxTokens: 5)
        let one = SimulatedProvider(configuration: .init(outputTokens: 16, seed: 7))
        let two = SimulatedProvider(configuration: .init(outputTokens: 16, seed: 7))
        let first = try await one.complete(request)
        #expect(first == (try await two.complete(request)))
        #expect(first.usage == TokenUsage(inputTokens: 7, outputTokens: 5))
        #expect(first.finishReason == "length")
        #expect(first.text.split(separator: " ").count == 5)
        #expect(one.callCount == 1)
    }

    @Test("the simulated provider fails at its configured rates and waits its latency on the injected clock")
    func simulatedFaultsAndLatency() async throws {
        let request = ProviderRequest(model: "small", messages: [ChatMessage(role: .user, content: "x")], maxTokens: 4)
        let failing = SimulatedProvider(configuration: .init(errorRate: 1))
        await #expect(throws: ProviderError(.unavailable, "simulated 503")) { try await failing.complete(request) }
        let limited = SimulatedProvider(configuration: .init(rateLimitRate: 1))
        await #expect(throws: ProviderError(.rateLimited(retryAfter: .seconds(1)), "simulated 429")) { try await limited.complete(request) }

        let clock = TestClock()
        let slow = SimulatedProvider(configuration: .init(latency: .seconds(2)), clock: clock)
        let call = Task { try await slow.complete(request) }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(2))
        #expect(try await call.value.usage.outputTokens == 4)
    }
}
