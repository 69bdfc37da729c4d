import Foundation
import Jobs
import Runtime

/// One configured messaging provider, checked, ready to be built once the clock exists.
struct MessagingProviderSettings: Equatable {
    enum Kind: Equatable {
        case simulated(transientFailureRate: Double)
        case twilio(baseURL: String, contentBaseURL: String, accountSID: String, authToken: String, smsFrom: String?, whatsAppFrom: String?)
        case sendGrid(baseURL: String, apiKey: String, from: String?, eventWebhookPublicKey: String?)
    }

    var id: String
    var kind: Kind
    var timeout: Duration

    static func simulated(id: String = "simulated", transientFailureRate: Double = 0) -> MessagingProviderSettings {
        MessagingProviderSettings(id: id, kind: .simulated(transientFailureRate: transientFailureRate), timeout: .seconds(30))
    }

    /// - Parameter publicBaseURL: where Twilio posts status callbacks (none without it).
    func make(clock: any WallClock, limiter: RateLimiter, publicBaseURL: String?) -> any MessagingProvider {
        switch kind {
        case .simulated(let rate):
            SimulatedMessagingProvider(id: id, configuration: .init(transientFailureRate: rate))
        case .twilio(let baseURL, let contentBaseURL, let accountSID, let authToken, let smsFrom, let whatsAppFrom):
            TwilioProvider(id: id, baseURL: baseURL, contentBaseURL: contentBaseURL, accountSID: accountSID, authToken: authToken,
                           smsFrom: smsFrom, whatsAppFrom: whatsAppFrom, timeout: timeout,
                           statusCallbackURL: publicBaseURL.map { $0 + "/cpaas/v1/webhooks/twilio/status" }, clock: clock)
        case .sendGrid(let baseURL, let apiKey, let from, let eventKey):
            SendGridProvider(id: id, baseURL: baseURL, apiKey: apiKey, from: from, timeout: timeout, eventWebhookPublicKey: eventKey,
                             limiter: limiter,
                             limiterKey: MessagingHub.limiterKey(id), clock: clock)
        }
    }
}

extension ServeSettings {
    /// The messaging hub `serve` runs with: the configured providers (or the simulated one).
    func messagingHub(clock: any WallClock, metrics: MessagingMetrics = MessagingMetrics()) -> MessagingHub {
        let limiter = MessagingHub.limiter(for: messaging, clock: clock)
        return MessagingHub(configuration: messaging,
                            providers: messagingProviders.map { $0.make(clock: clock, limiter: limiter, publicBaseURL: publicBaseURL) },
                            clock: clock, limiter: limiter, metrics: metrics)
    }

    /// The config file's `messaging` section, checked: every channel's route names a configured
    /// provider that sends it, prices are decimal USD, secrets come from the named environment variables.
    static func messaging(_ section: ConfigFile.Messaging, environment: [String: String]) throws
        -> (MessagingConfiguration, [MessagingProviderSettings]) {
        var providers: [MessagingProviderSettings] = []
        var channelsOf: [String: Set<Channel>] = [:]
        var fromOf: [String: [Channel: String]] = [:]
        var limits: [String: Int] = [:]
        var senders: [Channel: String] = [:]
        for provider in section.providers {
            let name = "messaging provider \(provider.id)"
            guard !provider.id.isEmpty, !provider.id.contains(":"), !providers.contains(where: { $0.id == provider.id }) else {
                throw SettingsError("messaging.providers: ids must be unique, non-empty and without ':' ('\(provider.id)')")
            }
            if let rpm = provider.requestsPerMinute {
                guard rpm >= 1 else { throw SettingsError("\(name): requestsPerMinute must be ≥ 1") }
                limits[provider.id] = rpm
            }
            let timeout = provider.timeoutSeconds ?? 30
            // A send must end inside the relay's lease (120 s; a send starts only with 65 s of it left).
            guard (1...60).contains(timeout) else { throw SettingsError("\(name): timeoutSeconds must be 1...60") }
            func secret() throws -> String {
                guard let variable = provider.secretEnv, let value = environment[variable], !value.isEmpty else {
                    throw SettingsError("\(name): secretEnv must name a set environment variable holding its token or key")
                }
                return value
            }
            func url(_ text: String?, _ fallback: String, _ field: String) throws -> String {
                let value = text ?? fallback
                guard let parsed = URL(string: value), ["http", "https"].contains(parsed.scheme ?? "") else {
                    throw SettingsError("\(name): \(field) must be an http(s) URL")
                }
                return value
            }
            let kind: MessagingProviderSettings.Kind
            switch provider.type {
            case "simulated":
                let rate = provider.transientFailureRate ?? 0
                guard (0...1).contains(rate) else { throw SettingsError("\(name): transientFailureRate must be 0...1") }
                kind = .simulated(transientFailureRate: rate)
                channelsOf[provider.id] = Set(Channel.allCases)
            case "twilio":
                guard let sid = provider.accountSid, !sid.isEmpty else { throw SettingsError("\(name): accountSid is required") }
                for (number, field) in [(provider.smsFrom, "smsFrom"), (provider.whatsappFrom, "whatsappFrom")] {
                    if let number, !MessageAddress.isE164(number) { throw SettingsError("\(name): \(field) must be an E.164 number") }
                }
                kind = .twilio(baseURL: try url(provider.baseUrl, "https://api.twilio.com", "baseUrl"),
                               contentBaseURL: try url(provider.contentBaseUrl, "https://content.twilio.com", "contentBaseUrl"),
                               accountSID: sid, authToken: try secret(), smsFrom: provider.smsFrom, whatsAppFrom: provider.whatsappFrom)
                channelsOf[provider.id] = [.sms, .whatsapp]
                fromOf[provider.id] = [.sms: provider.smsFrom, .whatsapp: provider.whatsappFrom].compactMapValues { $0 }
                if let from = provider.smsFrom { senders[.sms] = senders[.sms] ?? from }
                if let from = provider.whatsappFrom { senders[.whatsapp] = senders[.whatsapp] ?? from }
            case "sendgrid":
                if let from = provider.emailFrom, !MessageAddress.isEmail(from) { throw SettingsError("\(name): emailFrom must be an email address") }
                if let key = provider.eventWebhookPublicKey, key.isEmpty || key.utf8.count > 4_096 {
                    throw SettingsError("\(name): eventWebhookPublicKey must be SendGrid's verification key")
                }
                kind = .sendGrid(baseURL: try url(provider.baseUrl, "https://api.sendgrid.com", "baseUrl"), apiKey: try secret(),
                                 from: provider.emailFrom, eventWebhookPublicKey: provider.eventWebhookPublicKey)
                channelsOf[provider.id] = [.email]
                fromOf[provider.id] = [.email: provider.emailFrom].compactMapValues { $0 }
                if let from = provider.emailFrom { senders[.email] = senders[.email] ?? from }
            default:
                throw SettingsError("\(name): type must be twilio, sendgrid or simulated, not '\(provider.type)'")
            }
            providers.append(MessagingProviderSettings(id: provider.id, kind: kind, timeout: .seconds(timeout)))
        }
        var routes: [Channel: String] = [:]
        for (channelName, provider) in section.routes {
            guard let channel = Channel(rawValue: channelName) else {
                throw SettingsError("messaging.routes: '\(channelName)' is not sms, email or whatsapp")
            }
            guard channelsOf[provider]?.contains(channel) == true else {
                throw SettingsError("messaging.routes.\(channelName): provider '\(provider)' is not configured or does not send \(channelName)")
            }
            routes[channel] = provider
        }
        var prices: [Channel: MicroUSD] = [:]
        for (channelName, text) in section.prices {
            guard let channel = Channel(rawValue: channelName) else {
                throw SettingsError("messaging.prices: '\(channelName)' is not sms, email or whatsapp")
            }
            do { prices[channel] = try MicroUSD(parsingUSD: text) } catch {
                throw SettingsError("messaging.prices.\(channelName): \(error)")
            }
        }
        for channel in routes.keys where prices[channel] == nil {
            throw SettingsError("messaging.prices: \(channel.rawValue) is routed but has no price")
        }
        let attempts = section.maxAttempts ?? 8
        guard (1...100).contains(attempts) else { throw SettingsError("messaging.maxAttempts must be 1...100") }
        var configuration = MessagingConfiguration(routes: routes, defaultSenders: senders, prices: prices, requestsPerMinute: limits,
                                                   maxAttempts: attempts)
        for (tenant, window) in section.sendWindows ?? [:] {
            do { configuration.sendWindows[tenant] = try DailyWindow(start: window.start, end: window.end, timeZone: window.timezone) } catch {
                throw SettingsError("messaging.sendWindows.\(tenant.prefix(128)).\(error.field): \(error.message)")
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
    static func tenantAccount(_ section: ConfigFile.Messaging.Tenant, name: String, channelsOf: [String: Set<Channel>],
                              fromOf: [String: [Channel: String]]) throws -> TenantAccount {
        var account = TenantAccount()
        for (channelName, provider) in section.routes ?? [:] {
            guard let channel = Channel(rawValue: channelName) else { throw SettingsError("\(name).routes: '\(channelName)' is not sms, email or whatsapp") }
            guard channelsOf[provider]?.contains(channel) == true else {
                throw SettingsError("\(name).routes.\(channelName): provider '\(provider)' is not configured or does not send \(channelName)")
            }
            account.routes[channel] = provider
            if let from = fromOf[provider]?[channel] { account.senders[channel] = [from] }
        }
        for (channelName, senders) in section.senders ?? [:] {
            guard let channel = Channel(rawValue: channelName) else { throw SettingsError("\(name).senders: '\(channelName)' is not sms, email or whatsapp") }
            guard !senders.isEmpty, senders.count <= 1_000 else { throw SettingsError("\(name).senders.\(channelName): list 1 to 1000 senders") }
            for sender in senders where !(channel == .email ? MessageAddress.isEmail(sender) : MessageAddress.isE164(sender)) {
                throw SettingsError("\(name).senders.\(channelName): '\(sender.prefix(64))' is not \(channel == .email ? "an email address" : "an E.164 number")")
            }
            account.senders[channel] = senders
        }
        return account
    }
}
