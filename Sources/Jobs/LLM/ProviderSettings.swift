import Foundation
public import Runtime

/// One configured model provider: what it is, where, and its limits (per model, as providers
/// count them). `serve` reads these from the config file's `llm.providers`.
public struct ProviderSettings: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case simulated(SimulatedProvider.Configuration)
        case openAICompatible(baseURL: String, apiKey: String?, timeout: Duration)
        case anthropic(baseURL: String, apiKey: String?, timeout: Duration)
    }

    public var id: String
    public var kind: Kind
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?

    public init(id: String, kind: Kind, requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
        self.id = id
        self.kind = kind
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    func makeProvider(clock: any WallClock) -> any LLMProvider {
        switch kind {
        case .simulated(let configuration): SimulatedProvider(id: id, configuration: configuration, clock: clock)
        case .openAICompatible(let baseURL, let apiKey, let timeout):
            OpenAICompatibleProvider(id: id, baseURL: baseURL, apiKey: apiKey, timeout: timeout)
        case .anthropic(let baseURL, let apiKey, let timeout):
            AnthropicProvider(id: id, baseURL: baseURL, apiKey: apiKey, timeout: timeout)
        }
    }

    var quotas: [Quota] {
        var quotas: [Quota] = []
        if let rpm = requestsPerMinute { quotas.append(.requests(rpm, per: .seconds(60))) }
        if let tpm = tokensPerMinute { quotas.append(.tokens(tpm, per: .seconds(60))) }
        return quotas
    }
}

extension LLMService {
    /// The service over configured providers; each provider's limits apply per model
    /// (limiter keys `llm:<provider>:<model>`), to the whole fleet with a `rateBudget`;
    /// `limitsStartSpent` counts each burst as spent now (a restarted process without one).
    public init(configuration: LLMConfiguration, providers settings: [ProviderSettings], clock: any WallClock,
                metrics: ProviderMetrics = ProviderMetrics(), rateBudget: SharedRateBudget? = nil, limitsStartSpent: Bool = false) {
        let quotas = Dictionary(settings.map { ($0.id, $0.quotas) }, uniquingKeysWith: { first, _ in first })
        let limiter = RateLimiter(clock: clock, shared: rateBudget, spentAt: limitsStartSpent ? clock.now() : nil) { key in
            let parts = key.split(separator: ":", maxSplits: 2)
            guard parts.count == 3, parts[0] == "llm" else { return nil }
            return quotas[String(parts[1])]
        }
        self.init(configuration: configuration, providers: settings.map { $0.makeProvider(clock: clock) }, clock: clock, limiter: limiter,
                  metrics: metrics)
    }
}
