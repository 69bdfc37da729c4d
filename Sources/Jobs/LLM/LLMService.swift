import Foundation
public import Runtime

/// The LLM side of Switchboard, assembled once: configuration, prices, the router over the
/// providers and their limiters. Routes validate and price with it; the job runs through it.
public struct LLMService: Sendable {
    public let configuration: LLMConfiguration
    public let prices: PriceTable
    public let router: LLMRouter
    /// Deltas of streamed completions, from their jobs to their requests.

    public init(configuration: LLMConfiguration, providers: [any LLMProvider], clock: any WallClock,
                limiter: RateLimiter? = nil, retry: LLMRouter.Retry = LLMRouter.Retry(), metrics: ProviderMetrics = ProviderMetrics()) {
        self.configuration = configuration
        prices = configuration.prices
        router = LLMRouter(providers: providers, routing: configuration.routing, limiter: limiter ?? RateLimiter(clock: clock),
                           clock: clock, retry: retry, metrics: metrics)
    }

    /// The development service: the simulated provider only.
    public static func development(clock: any WallClock, configuration: LLMConfiguration = .development) -> LLMService {
        LLMService(configuration: configuration,
                   providers: [SimulatedProvider(configuration: configuration.simulated, clock: clock)], clock: clock)
    }

    /// The most a request can cost over every target it may be routed to (fallbacks may be dearer).
    public func worstCase(inputTokens: Int, maxTokens: Int, targets: [RouteTarget]) -> MicroUSD? {
        var worst = MicroUSD(0)
        for target in targets {
            guard let cost = prices.worstCase(inputTokens: inputTokens, maxTokens: maxTokens, model: target.model) else { return nil }
            worst = max(worst, cost)
        }
        return worst
    }

    /// The smallest output limit among the targets (`maxTokens` must fit every one).
    public func maxOutputTokens(targets: [RouteTarget]) -> Int {
        targets.compactMap { configuration.models[$0.model]?.maxOutputTokens }.min() ?? 0
    }
}
