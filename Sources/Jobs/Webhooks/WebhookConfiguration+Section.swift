import Runtime

extension WebhookConfiguration {
    /// The config file's `webhooks` section: what tenant webhook URLs may be, and the
    /// low-balance threshold, as written; `resolved(_:development:)` checks it.
    public struct Section: Decodable, Sendable {
        /// Allow `http://` URLs (development mode allows them anyway).
        public var allowHttp: Bool?
        /// Allow private, link-local and loopback addresses (receivers inside the operator's network).
        public var allowPrivateNetworks: Bool?
        /// `wallet.low_balance` fires below this available balance, USD as a decimal string.
        public var lowBalanceThresholdUsd: String?
        public var maxEndpointsPerTenant: Int?

        enum CodingKeys: String, CodingKey, CaseIterable { case allowHttp, allowPrivateNetworks, lowBalanceThresholdUsd, maxEndpointsPerTenant }
        /// The keys this section may have: the config file's other keys are refused.
        public static let keys = Set(CodingKeys.allCases.map(\.rawValue))
    }
}

extension WebhookConfiguration.Section {
    /// The configuration a section asks for. Development allows `http://` and loopback
    /// receivers; production neither, unless the section says so.
    public static func resolved(_ section: Self?, development dev: Bool) throws -> WebhookConfiguration {
        var webhooks = dev ? WebhookConfiguration.development : .production
        guard let section else { return webhooks }
        if let allow = section.allowHttp { webhooks.allowHTTP = allow || dev }
        if let allow = section.allowPrivateNetworks { webhooks.allowPrivateNetworks = allow }
        if let text = section.lowBalanceThresholdUsd {
            guard let amount = try? MicroUSD(parsingUSD: text), amount >= .zero else {
                throw ConfigurationError("webhooks.lowBalanceThresholdUsd must be a non-negative USD amount such as \"5.00\"")
            }
            webhooks.lowBalanceThreshold = amount
        }
        if let count = section.maxEndpointsPerTenant {
            guard (1...100).contains(count) else { throw ConfigurationError("webhooks.maxEndpointsPerTenant must be 1...100") }
            webhooks.maxEndpointsPerTenant = count
        }
        return webhooks
    }
}
