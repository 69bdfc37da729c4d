import Jobs

/// The server's price table as the load check reads it: the `llm.models` of the config file the
/// server was started with (`--config`), or the development models `serve` runs with when it has
/// none. Costs are computed here on their own, not with the server's `PriceTable`, so a pricing
/// bug in the server (the wrong model, the estimate instead of the usage, a rounding or an
/// overflow) shows as a difference instead of being repeated.
struct LoadPrices: Sendable {
    struct Price: Sendable, Equatable {
        /// Micro-USD per 1,000 tokens.
        var input: Int64
        var output: Int64
    }

    var models: [String: Price]

    init(models: [String: Price]) {
        self.models = models
    }

    /// From a config file (its `llm` section), or the development models without one.
    init(configFile path: String?) throws {
        if let path, let llm = try ConfigFile.load(path).llm {
            models = llm.models.mapValues { Price(input: $0.inputPer1K, output: $0.outputPer1K) }
        } else {
            models = LLMConfiguration.development.models.mapValues { Price(input: $0.price.inputPer1K, output: $0.price.outputPer1K) }
        }
    }

    /// What `input` and `output` tokens of `model` cost in micro-USD: the exact sum of both
    /// parts in thousandths of a micro-USD, rounded up once (a charge is never below the price).
    /// nil for a model without a price, negative counts, or a sum past Int64.
    func cost(model: String, inputTokens: Int64, outputTokens: Int64) -> Int64? {
        guard let price = models[model], inputTokens >= 0, outputTokens >= 0 else { return nil }
        let input = inputTokens.multipliedReportingOverflow(by: price.input)
        let output = outputTokens.multipliedReportingOverflow(by: price.output)
        let total = input.partialValue.addingReportingOverflow(output.partialValue)
        guard !input.overflow, !output.overflow, !total.overflow, total.partialValue <= Int64.max - 999 else { return nil }
        let (whole, rest) = total.partialValue.quotientAndRemainder(dividingBy: 1_000)
        return rest == 0 ? whole : whole + 1
    }
}

/// One finished completion or batch item as its job recorded it.
struct FinishedCompletion: Sendable, Equatable {
    var job: String
    var tenant: String
    var model: String?
    var inputTokens: Int64?
    var outputTokens: Int64?
    var recordedCostMicroUSD: Int64?
}

/// Each finished completion and batch item priced again from its recorded usage: a recorded
/// cost that differs, or usage that cannot be priced, is a violation; the re-priced sums per
/// tenant are what the tenants must have been charged.
struct Repricing {
    var violations: [String] = []
    var usageByTenant: [String: Int64] = [:]
    var priced = 0

    init(_ finished: [FinishedCompletion], prices: LoadPrices, examples: Int = 10) {
        var mispriced = 0
        for item in finished {
            guard let model = item.model, let input = item.inputTokens, let output = item.outputTokens,
                  let cost = prices.cost(model: model, inputTokens: input, outputTokens: output) else {
                violations.append("job \(item.job) cannot be re-priced: model \(item.model ?? "none"), usage "
                                  + "\(item.inputTokens.map(String.init) ?? "?")/\(item.outputTokens.map(String.init) ?? "?") tokens"
                                  + " (is the price table the server's? pass the server's --config)")
                continue
            }
            priced += 1
            usageByTenant[item.tenant, default: 0] += cost
            if item.recordedCostMicroUSD != cost {
                mispriced += 1
                if mispriced <= examples {
                    violations.append("job \(item.job) recorded a cost of \(item.recordedCostMicroUSD.map(String.init) ?? "none") µUSD "
                                      + "for \(input) input and \(output) output tokens of \(model), which cost \(cost) µUSD")
                }
            }
        }
        if mispriced > examples { violations.append("\(mispriced) jobs in all recorded a cost their usage does not price at") }
    }
}
