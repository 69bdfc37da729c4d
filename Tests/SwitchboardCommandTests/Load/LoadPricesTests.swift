import Foundation
import Jobs
@testable import switchboard
import Testing

@Suite("load check: re-pricing")
struct LoadPricesTests {
    let prices = LoadPrices(models: ["m": .init(input: 150, output: 600)])

    @Test("re-pricing rounds the exact sum up once, like a provider's invoice")
    func cost() {
        #expect(prices.cost(model: "m", inputTokens: 10, outputTokens: 16) == 12)  // 1,500 + 9,600 thousandths → 11.1 → 12
        #expect(prices.cost(model: "m", inputTokens: 20, outputTokens: 0) == 3)
        #expect(prices.cost(model: "m", inputTokens: 0, outputTokens: 0) == 0)
        #expect(prices.cost(model: "other", inputTokens: 1, outputTokens: 1) == nil)
        #expect(prices.cost(model: "m", inputTokens: .max, outputTokens: 1) == nil)
    }

    @Test("a finished job whose recorded cost is not its usage's price is a violation; the tenant owes the re-priced sum")
    func repricing() {
        let finished = [
            FinishedCompletion(job: "ok", tenant: "a", model: "m", inputTokens: 10, outputTokens: 16, recordedCostMicroUSD: 12),
            // Priced with input and output swapped: 10 × 600 + 16 × 150 = 8,400 thousandths → 9.
            FinishedCompletion(job: "swapped", tenant: "a", model: "m", inputTokens: 10, outputTokens: 16, recordedCostMicroUSD: 9),
            FinishedCompletion(job: "unpriced", tenant: "b", model: "gone", inputTokens: 1, outputTokens: 1, recordedCostMicroUSD: 1),
        ]
        let repriced = Repricing(finished, prices: prices)
        #expect(repriced.violations.count == 2)
        #expect(repriced.violations.contains { $0.contains("swapped") && $0.contains("cost 12") })
        #expect(repriced.violations.contains { $0.contains("unpriced") })
        #expect(repriced.usageByTenant == ["a": 24])
    }

    @Test("the prices come from the server's config file, or are the development ones without it")
    func pricesFromConfig() throws {
        let path = NSTemporaryDirectory() + "switchboard-load-config-\(UUID().uuidString).json"
        try #"""
        {"llm": {"providers": [{"id": "mock", "type": "simulated"}],
                 "models": {"gpt-load": {"maxOutputTokens": 4096, "inputPer1K": 150, "outputPer1K": 600}},
                 "routes": {"chat": [{"provider": "mock", "model": "gpt-load"}]}, "defaultUseCase": "chat"}}
        """#.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try LoadPrices(configFile: path).models == ["gpt-load": .init(input: 150, output: 600)])
        #expect(try LoadPrices(configFile: nil).models["sim-large"] == .init(input: 2_500, output: 10_000))
    }
}
