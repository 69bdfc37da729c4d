import Runtime

extension LLMConfiguration {
    /// The config file's `llm` section: model providers, priced models and routes (replacing
    /// the development ones), as written; `resolved(environment:)` checks it.
    public struct Section: Decodable, Sendable {
        public struct Provider: Decodable, Sendable {
            public var id: String
            /// `openai` (any OpenAI-compatible endpoint), `anthropic` or `simulated`.
            public var type: String
            public var baseUrl: String?
            /// The environment variable holding the API key (keys stay out of config files).
            public var apiKeyEnv: String?
            public var timeoutSeconds: Int?
            public var requestsPerMinute: Int?
            public var tokensPerMinute: Int?
            public var latencyMs: Int?
            public var errorRate: Double?
            public var rateLimitRate: Double?
            public var outputTokens: Int?
            public var seed: UInt64?

            enum CodingKeys: String, CodingKey, CaseIterable {
                case id, type, baseUrl, apiKeyEnv, timeoutSeconds, requestsPerMinute, tokensPerMinute, latencyMs, errorRate, rateLimitRate
                case outputTokens, seed
            }
            /// The keys this entry may have: the config file's other keys are refused.
            public static let keys = Set(CodingKeys.allCases.map(\.rawValue))
        }

        public struct Model: Decodable, Sendable {
            public var maxOutputTokens: Int
            public var inputPer1K: Int64
            public var outputPer1K: Int64

            enum CodingKeys: String, CodingKey, CaseIterable { case maxOutputTokens, inputPer1K, outputPer1K }
            /// The keys this entry may have: the config file's other keys are refused.
            public static let keys = Set(CodingKeys.allCases.map(\.rawValue))
        }

        public struct Target: Decodable, Sendable {
            public var provider: String
            public var model: String

            enum CodingKeys: String, CodingKey, CaseIterable { case provider, model }
            /// The keys this entry may have: the config file's other keys are refused.
            public static let keys = Set(CodingKeys.allCases.map(\.rawValue))
        }

        public var providers: [Provider]
        public var models: [String: Model]
        public var routes: [String: [Target]]
        public var defaultUseCase: String
        public var requestDeadlineSeconds: Int?

        enum CodingKeys: String, CodingKey, CaseIterable { case providers, models, routes, defaultUseCase, requestDeadlineSeconds }
        /// The keys this section may have: the config file's other keys are refused.
        public static let keys = Set(CodingKeys.allCases.map(\.rawValue))
    }
}

extension LLMConfiguration.Section {
    /// This section, checked (a `ConfigurationError` names what is wrong): every route names a configured provider and a
    /// priced model, numbers are in range, API keys come from the named environment variables.
    public func resolved(environment: [String: String]) throws -> (LLMConfiguration, [ProviderSettings]) {
        let section = self
        var providers: [ProviderSettings] = []
        for provider in section.providers {
            guard !provider.id.isEmpty, !provider.id.contains(":"), !providers.contains(where: { $0.id == provider.id }) else {
                throw ConfigurationError("llm.providers: ids must be unique, non-empty and without ':' ('\(provider.id)')")
            }
            if let rpm = provider.requestsPerMinute, rpm < 1 { throw ConfigurationError("llm provider \(provider.id): requestsPerMinute must be ≥ 1") }
            if let tpm = provider.tokensPerMinute, tpm < 1 { throw ConfigurationError("llm provider \(provider.id): tokensPerMinute must be ≥ 1") }
            let kind: ProviderSettings.Kind
            switch provider.type {
            case "openai", "anthropic":
                guard let url = provider.baseUrl ?? (provider.type == "anthropic" ? "https://api.anthropic.com" : nil),
                      url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw ConfigurationError("llm provider \(provider.id): baseUrl must be an http(s) URL")
                }
                var key: String?
                if let name = provider.apiKeyEnv {
                    guard let value = environment[name], !value.isEmpty else {
                        throw ConfigurationError("llm provider \(provider.id): the environment variable \(name) is not set")
                    }
                    key = value
                }
                let timeout = provider.timeoutSeconds ?? 30
                guard (1...600).contains(timeout) else { throw ConfigurationError("llm provider \(provider.id): timeoutSeconds must be 1...600") }
                kind = provider.type == "anthropic" ? .anthropic(baseURL: url, apiKey: key, timeout: .seconds(timeout))
                    : .openAICompatible(baseURL: url, apiKey: key, timeout: .seconds(timeout))
            case "simulated":
                let errorRate = provider.errorRate ?? 0, rateLimitRate = provider.rateLimitRate ?? 0
                guard (0...1).contains(errorRate), (0...1).contains(rateLimitRate), (0...600_000).contains(provider.latencyMs ?? 0),
                      (1...100_000).contains(provider.outputTokens ?? 16)
                else { throw ConfigurationError("llm provider \(provider.id): simulated settings out of range") }
                kind = .simulated(.init(latency: .milliseconds(provider.latencyMs ?? 0), rateLimitRate: rateLimitRate,
                                        errorRate: errorRate, outputTokens: provider.outputTokens ?? 16, seed: provider.seed ?? 42))
            default:
                throw ConfigurationError("llm provider \(provider.id): type must be openai, anthropic or simulated, not '\(provider.type)'")
            }
            providers.append(ProviderSettings(id: provider.id, kind: kind, requestsPerMinute: provider.requestsPerMinute,
                                              tokensPerMinute: provider.tokensPerMinute))
        }
        var models: [String: LLMConfiguration.Model] = [:]
        for (name, model) in section.models {
            guard (1...1_000_000).contains(model.maxOutputTokens), model.inputPer1K >= 0, model.outputPer1K >= 0,
                  model.inputPer1K <= 100_000_000, model.outputPer1K <= 100_000_000
            else { throw ConfigurationError("llm model \(name): maxOutputTokens 1...1000000 and prices 0...100000000 micro-USD per 1K") }
            models[name] = LLMConfiguration.Model(maxOutputTokens: model.maxOutputTokens,
                                                  price: ModelPrice(inputPer1K: model.inputPer1K, outputPer1K: model.outputPer1K))
        }
        var routes: [String: [RouteTarget]] = [:]
        for (useCase, targets) in section.routes {
            guard !targets.isEmpty else { throw ConfigurationError("llm route \(useCase) has no targets") }
            for target in targets {
                guard providers.contains(where: { $0.id == target.provider }) else {
                    throw ConfigurationError("llm route \(useCase): provider '\(target.provider)' is not configured")
                }
                guard models[target.model] != nil else { throw ConfigurationError("llm route \(useCase): model '\(target.model)' has no price") }
            }
            routes[useCase] = targets.map { RouteTarget(provider: $0.provider, model: $0.model) }
        }
        guard routes[section.defaultUseCase] != nil else {
            throw ConfigurationError("llm.defaultUseCase '\(section.defaultUseCase)' is not a route")
        }
        let deadline = section.requestDeadlineSeconds ?? 60
        guard (1...600).contains(deadline) else { throw ConfigurationError("llm.requestDeadlineSeconds must be 1...600") }
        return (LLMConfiguration(models: models, routing: LLMRouting(routes: routes, defaultUseCase: section.defaultUseCase),
                                 requestDeadline: .seconds(deadline)), providers)
    }
}
