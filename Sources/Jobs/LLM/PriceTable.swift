public import Runtime

/// What a model costs, in micro-USD per 1,000 input and output tokens.
public struct ModelPrice: Sendable, Equatable, Codable {
    public var inputPer1K: Int64
    public var outputPer1K: Int64

    public init(inputPer1K: Int64, outputPer1K: Int64) {
        self.inputPer1K = inputPer1K
        self.outputPer1K = outputPer1K
    }
}

/// Turns token counts into money. Costs round up to the next micro-USD, so a charge is never
/// below the provider's price; every product is overflow-checked.
public struct PriceTable: Sendable, Equatable {
    public var prices: [String: ModelPrice]

    public init(_ prices: [String: ModelPrice]) {
        self.prices = prices
    }

    /// The cost of `usage` on `model`; nil for a model without a price.
    public func cost(of usage: TokenUsage, model: String) -> MicroUSD? {
        guard let price = prices[model] else { return nil }
        return Self.cost(input: usage.inputTokens, output: usage.outputTokens, price: price)
    }

    /// The most a call can cost: the estimated input plus every allowed output token.
    public func worstCase(inputTokens: Int, maxTokens: Int, model: String) -> MicroUSD? {
        guard let price = prices[model] else { return nil }
        return Self.cost(input: inputTokens, output: maxTokens, price: price)
    }

    private static func cost(input: Int, output: Int, price: ModelPrice) -> MicroUSD {
        let inputPart = Int64(max(input, 0)).multipliedReportingOverflow(by: price.inputPer1K)
        let outputPart = Int64(max(output, 0)).multipliedReportingOverflow(by: price.outputPer1K)
        let sum = inputPart.partialValue.addingReportingOverflow(outputPart.partialValue)
        guard !inputPart.overflow, !outputPart.overflow, !sum.overflow else { return MicroUSD(Int64.max / 2) }
        return MicroUSD((sum.partialValue + 999) / 1_000)
    }
}
