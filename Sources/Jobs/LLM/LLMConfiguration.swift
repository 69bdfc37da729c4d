/// The LLM side of the configuration: models (their output limit and price), routes per
/// `useCase`, and the simulated provider's behaviour. `development` is what `serve` runs with
/// no configuration: one simulated provider with two models.
public struct LLMConfiguration: Sendable, Equatable {
    public struct Model: Sendable, Equatable {
        public var maxOutputTokens: Int
        public var price: ModelPrice

        public init(maxOutputTokens: Int, price: ModelPrice) {
            self.maxOutputTokens = maxOutputTokens
            self.price = price
        }
    }

    /// By model name.
    public var models: [String: Model]
    public var routing: LLMRouting
    public var simulated: SimulatedProvider.Configuration
    /// How long a synchronous completion may take in all (retries and fallbacks included).
    public var requestDeadline: Duration

    public init(models: [String: Model], routing: LLMRouting, simulated: SimulatedProvider.Configuration = .init(),
                requestDeadline: Duration = .seconds(60)) {
        self.models = models
        self.routing = routing
        self.simulated = simulated
        self.requestDeadline = requestDeadline
    }

    public var prices: PriceTable { PriceTable(models.mapValues(\.price)) }

    public static let development = LLMConfiguration(
        models: [
            "sim-small": Model(maxOutputTokens: 4_096, price: ModelPrice(inputPer1K: 150, outputPer1K: 600)),
            "sim-large": Model(maxOutputTokens: 8_192, price: ModelPrice(inputPer1K: 2_500, outputPer1K: 10_000)),
        ],
        routing: LLMRouting(routes: [
            "chat": [RouteTarget(provider: "simulated", model: "sim-small"), RouteTarget(provider: "simulated", model: "sim-large")],
            "reasoning": [RouteTarget(provider: "simulated", model: "sim-large")],
        ], defaultUseCase: "chat"))
}
