public import Jobs

/// Everything the HTTP front needs besides the runtime: where to listen, limits, auth, plans.
public struct FrontConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (the chosen one is reported by `onServerRunning`).
    public var port: Int
    public var limits: RequestLimits
    public var plans: PlanLimits
    public var auth: AuthConfiguration
    /// The `x-internal-api-key` of internal routes.
    public var internalAPIKey: String
    /// Serve `GET /metrics`.
    public var metricsEnabled: Bool
    /// The scheme and host clients and providers reach this server at (`https://sb.example.com`),
    /// behind any proxy: provider webhooks are signed over it. Nil: the request's own `Host`.
    public var publicBaseURL: String?
    /// Development mode: the dashboard's session cookie goes without `Secure` (plain http on loopback).
    public var developmentMode: Bool
    /// What tenant webhook endpoints may be (URL policy, limits).
    public var webhooks: WebhookConfiguration

    public init(host: String = "127.0.0.1", port: Int = 8080, limits: RequestLimits = RequestLimits(),
                plans: PlanLimits = PlanLimits(), auth: AuthConfiguration, internalAPIKey: String, metricsEnabled: Bool = true,
                publicBaseURL: String? = nil, developmentMode: Bool = false, webhooks: WebhookConfiguration = .development) {
        self.developmentMode = developmentMode
        self.webhooks = webhooks
        self.publicBaseURL = publicBaseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.host = host
        self.port = port
        self.limits = limits
        self.plans = plans
        self.auth = auth
        self.internalAPIKey = internalAPIKey
        self.metricsEnabled = metricsEnabled
    }
}
