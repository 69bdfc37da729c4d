public import Runtime

/// One configured messaging provider, checked, ready to be built once the clock exists.
public struct MessagingProviderSettings: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case simulated(transientFailureRate: Double)
        case twilio(baseURL: String, contentBaseURL: String, accountSID: String, authToken: String, smsFrom: String?, whatsAppFrom: String?)
        case sendGrid(baseURL: String, apiKey: String, from: String?, eventWebhookPublicKey: String?)
    }

    public var id: String
    public var kind: Kind
    public var timeout: Duration

    public init(id: String, kind: Kind, timeout: Duration) {
        self.id = id
        self.kind = kind
        self.timeout = timeout
    }

    public static func simulated(id: String = "simulated", transientFailureRate: Double = 0) -> MessagingProviderSettings {
        MessagingProviderSettings(id: id, kind: .simulated(transientFailureRate: transientFailureRate), timeout: .seconds(30))
    }

    /// - Parameter publicBaseURL: where Twilio posts status callbacks (none without it).
    public func make(clock: any WallClock, limiter: RateLimiter, publicBaseURL: String?) -> any MessagingProvider {
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
