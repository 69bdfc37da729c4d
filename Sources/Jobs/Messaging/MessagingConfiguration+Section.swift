import Foundation
import Runtime

extension MessagingConfiguration {
    /// The config file's `messaging` section: providers, which sends each channel, prices
    /// (replacing the development ones), as written; `resolved(environment:)` checks it.
    public struct Section: Decodable, Sendable {
        public struct Provider: Decodable, Sendable {
            public var id: String
            /// `twilio`, `sendgrid` or `simulated`.
            public var type: String
            public var baseUrl: String?
            /// Twilio's Content API (templates).
            public var contentBaseUrl: String?
            public var accountSid: String?
            /// The environment variable holding the Twilio auth token or the SendGrid API key.
            public var secretEnv: String?
            public var smsFrom: String?
            public var whatsappFrom: String?
            public var emailFrom: String?
            /// SendGrid: the Event Webhook's verification key (base64 DER as SendGrid shows it, or PEM).
            public var eventWebhookPublicKey: String?
            public var requestsPerMinute: Int?
            public var timeoutSeconds: Int?
            public var transientFailureRate: Double?

            enum CodingKeys: String, CodingKey, CaseIterable {
                case id, type, baseUrl, contentBaseUrl, accountSid, secretEnv, smsFrom, whatsappFrom, emailFrom, eventWebhookPublicKey
                case requestsPerMinute, timeoutSeconds, transientFailureRate
            }
            /// The keys this entry may have: the config file's other keys are refused.
            public static let keys = Set(CodingKeys.allCases.map(\.rawValue))
        }

        public var providers: [Provider]
        /// Channel → provider id.
        public var routes: [String: String]
        /// Channel → USD per message (per segment for SMS), a decimal string.
        public var prices: [String: String]
        public var maxAttempts: Int?
        /// Tenant id → its quiet hours, `{start: "08:00", end: "21:00", timezone: "Europe/Paris"}`.
        public var sendWindows: [String: SendWindow]?
        /// Tenant id → its own provider accounts and senders.
        public var tenants: [String: Tenant]?

        enum CodingKeys: String, CodingKey, CaseIterable { case providers, routes, prices, maxAttempts, sendWindows, tenants }
        /// The keys this section may have: the config file's other keys are refused.
        public static let keys = Set(CodingKeys.allCases.map(\.rawValue))

        public struct Tenant: Decodable, Sendable {
            /// Channel → the id of a provider above (e.g. the tenant's Twilio subaccount).
            public var routes: [String: String]?
            /// Channel → the senders the tenant may send from (the first is its default).
            public var senders: [String: [String]]?

            enum CodingKeys: String, CodingKey, CaseIterable { case routes, senders }
            /// The keys this entry may have: the config file's other keys are refused.
            public static let keys = Set(CodingKeys.allCases.map(\.rawValue))
        }

        public struct SendWindow: Decodable, Sendable {
            public var start: String
            public var end: String
            public var timezone: String

            enum CodingKeys: String, CodingKey, CaseIterable { case start, end, timezone }
            /// The keys this entry may have: the config file's other keys are refused.
            public static let keys = Set(CodingKeys.allCases.map(\.rawValue))
        }
    }
}

extension MessagingConfiguration.Section {
    /// This section, checked (a `ConfigurationError` names what is wrong): every channel's route names a configured
    /// provider that sends it, prices are decimal USD, secrets come from the named environment variables.
    public func resolved(environment: [String: String]) throws -> (MessagingConfiguration, [MessagingProviderSettings]) {
        let section = self
        var providers: [MessagingProviderSettings] = []
        var channelsOf: [String: Set<Channel>] = [:]
        var fromOf: [String: [Channel: String]] = [:]
        var limits: [String: Int] = [:]
        var senders: [Channel: String] = [:]
        for provider in section.providers {
            let name = "messaging provider \(provider.id)"
            guard !provider.id.isEmpty, !provider.id.contains(":"), !providers.contains(where: { $0.id == provider.id }) else {
                throw ConfigurationError("messaging.providers: ids must be unique, non-empty and without ':' ('\(provider.id)')")
            }
            if let rpm = provider.requestsPerMinute {
                guard rpm >= 1 else { throw ConfigurationError("\(name): requestsPerMinute must be ≥ 1") }
                limits[provider.id] = rpm
            }
            let timeout = provider.timeoutSeconds ?? 30
            // A send must end inside the relay's lease (120 s; a send starts only with 65 s of it left).
            guard (1...60).contains(timeout) else { throw ConfigurationError("\(name): timeoutSeconds must be 1...60") }
            func secret() throws -> String {
                guard let variable = provider.secretEnv, let value = environment[variable], !value.isEmpty else {
                    throw ConfigurationError("\(name): secretEnv must name a set environment variable holding its token or key")
                }
                return value
            }
            func url(_ text: String?, _ fallback: String, _ field: String) throws -> String {
                let value = text ?? fallback
                guard let parsed = URL(string: value), ["http", "https"].contains(parsed.scheme ?? "") else {
                    throw ConfigurationError("\(name): \(field) must be an http(s) URL")
                }
                return value
            }
            let kind: MessagingProviderSettings.Kind
            switch provider.type {
            case "simulated":
                let rate = provider.transientFailureRate ?? 0
                guard (0...1).contains(rate) else { throw ConfigurationError("\(name): transientFailureRate must be 0...1") }
                kind = .simulated(transientFailureRate: rate)
                channelsOf[provider.id] = Set(Channel.allCases)
            case "twilio":
                guard let sid = provider.accountSid, !sid.isEmpty else { throw ConfigurationError("\(name): accountSid is required") }
                for (number, field) in [(provider.smsFrom, "smsFrom"), (provider.whatsappFrom, "whatsappFrom")] {
                    if let number, !MessageAddress.isE164(number) { throw ConfigurationError("\(name): \(field) must be an E.164 number") }
                }
                kind = .twilio(baseURL: try url(provider.baseUrl, "https://api.twilio.com", "baseUrl"),
                               contentBaseURL: try url(provider.contentBaseUrl, "https://content.twilio.com", "contentBaseUrl"),
                               accountSID: sid, authToken: try secret(), smsFrom: provider.smsFrom, whatsAppFrom: provider.whatsappFrom)
                channelsOf[provider.id] = [.sms, .whatsapp]
                fromOf[provider.id] = [.sms: provider.smsFrom, .whatsapp: provider.whatsappFrom].compactMapValues { $0 }
                if let from = provider.smsFrom { senders[.sms] = senders[.sms] ?? from }
                if let from = provider.whatsappFrom { senders[.whatsapp] = senders[.whatsapp] ?? from }
            case "sendgrid":
                if let from = provider.emailFrom, !MessageAddress.isEmail(from) { throw ConfigurationError("\(name): emailFrom must be an email address") }
                if let key = provider.eventWebhookPublicKey, key.isEmpty || key.utf8.count > 4_096 {
                    throw ConfigurationError("\(name): eventWebhookPublicKey must be SendGrid's verification key")
                }
                kind = .sendGrid(baseURL: try url(provider.baseUrl, "https://api.sendgrid.com", "baseUrl"), apiKey: try secret(),
                                 from: provider.emailFrom, eventWebhookPublicKey: provider.eventWebhookPublicKey)
                channelsOf[provider.id] = [.email]
                fromOf[provider.id] = [.email: provider.emailFrom].compactMapValues { $0 }
                if let from = provider.emailFrom { senders[.email] = senders[.email] ?? from }
            default:
                throw ConfigurationError("\(name): type must be twilio, sendgrid or simulated, not '\(provider.type)'")
            }
            providers.append(MessagingProviderSettings(id: provider.id, kind: kind, timeout: .seconds(timeout)))
        }
        var routes: [Channel: String] = [:]
        for (channelName, provider) in section.routes {
            guard let channel = Channel(rawValue: channelName) else {
                throw ConfigurationError("messaging.routes: '\(channelName)' is not sms, email or whatsapp")
            }
            guard channelsOf[provider]?.contains(channel) == true else {
                throw ConfigurationError("messaging.routes.\(channelName): provider '\(provider)' is not configured or does not send \(channelName)")
            }
            routes[channel] = provider
        }
        var prices: [Channel: MicroUSD] = [:]
        for (channelName, text) in section.prices {
            guard let channel = Channel(rawValue: channelName) else {
                throw ConfigurationError("messaging.prices: '\(channelName)' is not sms, email or whatsapp")
            }
            do { prices[channel] = try MicroUSD(parsingUSD: text) } catch {
                throw ConfigurationError("messaging.prices.\(channelName): \(error)")
            }
        }
        for channel in routes.keys where prices[channel] == nil {
            throw ConfigurationError("messaging.prices: \(channel.rawValue) is routed but has no price")
        }
        let attempts = section.maxAttempts ?? 8
        guard (1...100).contains(attempts) else { throw ConfigurationError("messaging.maxAttempts must be 1...100") }
        var configuration = MessagingConfiguration(routes: routes, defaultSenders: senders, prices: prices, requestsPerMinute: limits,
                                                   maxAttempts: attempts)
        for (tenant, window) in section.sendWindows ?? [:] {
            do { configuration.sendWindows[tenant] = try DailyWindow(start: window.start, end: window.end, timeZone: window.timezone) } catch {
                throw ConfigurationError("messaging.sendWindows.\(tenant.prefix(128)).\(error.field): \(error.message)")
            }
        }
        for (tenant, account) in section.tenants ?? [:] {
            configuration.tenants[tenant] = try Self.tenantAccount(account, name: "messaging.tenants.\(tenant.prefix(128))",
                                                                   channelsOf: channelsOf, fromOf: fromOf)
        }
        return (configuration, providers)
    }

    /// A tenant's routes (to configured providers that send the channel) and senders (valid
    /// addresses); a channel routed to a provider with a sender of its own and no senders listed
    /// sends from that sender only.
    static func tenantAccount(_ section: Tenant, name: String, channelsOf: [String: Set<Channel>],
                              fromOf: [String: [Channel: String]]) throws -> TenantAccount {
        var account = TenantAccount()
        for (channelName, provider) in section.routes ?? [:] {
            guard let channel = Channel(rawValue: channelName) else { throw ConfigurationError("\(name).routes: '\(channelName)' is not sms, email or whatsapp") }
            guard channelsOf[provider]?.contains(channel) == true else {
                throw ConfigurationError("\(name).routes.\(channelName): provider '\(provider)' is not configured or does not send \(channelName)")
            }
            account.routes[channel] = provider
            if let from = fromOf[provider]?[channel] { account.senders[channel] = [from] }
        }
        for (channelName, senders) in section.senders ?? [:] {
            guard let channel = Channel(rawValue: channelName) else { throw ConfigurationError("\(name).senders: '\(channelName)' is not sms, email or whatsapp") }
            guard !senders.isEmpty, senders.count <= 1_000 else { throw ConfigurationError("\(name).senders.\(channelName): list 1 to 1000 senders") }
            for sender in senders where !(channel == .email ? MessageAddress.isEmail(sender) : MessageAddress.isE164(sender)) {
                throw ConfigurationError("\(name).senders.\(channelName): '\(sender.prefix(64))' is not \(channel == .email ? "an email address" : "an E.164 number")")
            }
            account.senders[channel] = senders
        }
        return account
    }
}
