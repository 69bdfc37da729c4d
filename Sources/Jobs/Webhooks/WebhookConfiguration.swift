public import Runtime

/// How tenant webhooks are delivered: which URLs endpoints may have, how long a delivery is
/// retried, and below which balance a tenant hears `wallet.low_balance`. `production` refuses
/// plain `http://` and every private, loopback or link-local address; `development` (what
/// `serve` runs with in development mode) allows `http://` and loopback, for local receivers.
public struct WebhookConfiguration: Sendable, Equatable {
    /// `http://` URLs are accepted (else only `https://`).
    public var allowHTTP: Bool
    /// Loopback addresses (127.0.0.0/8, ::1, `localhost`) are accepted.
    public var allowLoopback: Bool
    /// Private, link-local and other non-public addresses are accepted (an operator's choice for
    /// receivers inside their own network).
    public var allowPrivateNetworks: Bool
    /// A delivery is retried with backoff for this long after its event, then fails.
    public var retryWindow: Duration
    /// A tenant's team wallet below this balance raises `wallet.low_balance` (once, until it is back above).
    public var lowBalanceThreshold: MicroUSD
    /// Endpoints a tenant may have.
    public var maxEndpointsPerTenant: Int
    /// How long one delivery attempt may take.
    public var timeout: Duration

    public init(allowHTTP: Bool = false, allowLoopback: Bool = false, allowPrivateNetworks: Bool = false,
                retryWindow: Duration = .seconds(24 * 3_600), lowBalanceThreshold: MicroUSD = MicroUSD(usd: 5),
                maxEndpointsPerTenant: Int = 10, timeout: Duration = .seconds(10)) {
        self.allowHTTP = allowHTTP
        self.allowLoopback = allowLoopback
        self.allowPrivateNetworks = allowPrivateNetworks
        self.retryWindow = retryWindow
        self.lowBalanceThreshold = lowBalanceThreshold
        self.maxEndpointsPerTenant = maxEndpointsPerTenant
        self.timeout = timeout
    }

    public static let production = WebhookConfiguration()
    public static let development = WebhookConfiguration(allowHTTP: true, allowLoopback: true)
}
