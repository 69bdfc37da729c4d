public import Runtime

/// The messaging side of the configuration: which provider sends each channel, the default
/// senders, prices, the per-provider limits and how the outbox relay retries. `development`
/// is what `serve` runs with no configuration: the simulated provider for every channel.
public struct MessagingConfiguration: Sendable, Equatable {
    /// Per channel, the provider that sends it.
    public var routes: [Channel: String]
    /// Per channel, the sender used when a message names none.
    public var defaultSenders: [Channel: String]
    /// Per channel, the price of a message (of a segment, for SMS).
    public var prices: [Channel: MicroUSD]
    /// Per provider id, its limits (requests per minute).
    public var requestsPerMinute: [String: Int]
    /// A message failing transiently is retried this many times in all, then fails.
    public var maxAttempts: Int
    /// The first retry waits this long, doubling up to `maxBackoff`.
    public var baseBackoff: Duration
    public var maxBackoff: Duration
    /// How long a relay owns the outbox rows it claimed before another relay may take them.
    public var leaseDuration: Duration
    /// Rows a relay claims at once.
    public var relayBatchSize: Int
    /// How far ahead `sendAt` may be.
    public var maxScheduleAhead: Duration
    /// Per tenant, the quiet hours its messages respect when a message names no `sendWindow`.
    public var sendWindows: [String: DailyWindow] = [:]
    /// Per tenant, its own provider accounts (a Twilio subaccount, a SendGrid key: providers of
    /// their own ids) and senders, over the defaults above.
    public var tenants: [String: TenantAccount] = [:]
    /// A message still `sent` this long after it went out is asked about (`messages.reconcile`).
    public var reconcileAfter: Duration = .seconds(3_600)

    public init(routes: [Channel: String], defaultSenders: [Channel: String] = [:], prices: [Channel: MicroUSD],
                requestsPerMinute: [String: Int] = [:], maxAttempts: Int = 8, baseBackoff: Duration = .seconds(2),
                maxBackoff: Duration = .seconds(300), leaseDuration: Duration = .seconds(120), relayBatchSize: Int = 500,
                maxScheduleAhead: Duration = .seconds(30 * 86_400)) {
        self.routes = routes
        self.defaultSenders = defaultSenders
        self.prices = prices
        self.requestsPerMinute = requestsPerMinute
        self.maxAttempts = max(1, maxAttempts)
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
        self.leaseDuration = leaseDuration
        self.relayBatchSize = min(max(1, relayBatchSize), 10_000)
        self.maxScheduleAhead = maxScheduleAhead
    }

    /// The provider that sends `channel` for `tenant`: the tenant's own, else the default.
    public func route(_ channel: Channel, tenant: String) -> String? {
        tenants[tenant]?.routes[channel] ?? routes[channel]
    }

    /// The price of a message of `segments` segments on `channel` (nil: the channel has no price).
    public func price(_ channel: Channel, segments: Int) -> MicroUSD? {
        guard let unit = prices[channel] else { return nil }
        let (total, overflow) = unit.value.multipliedReportingOverflow(by: Int64(channel == .sms ? max(1, segments) : 1))
        return overflow ? nil : MicroUSD(total)
    }

    public static let development = MessagingConfiguration(
        routes: [.sms: "simulated", .email: "simulated", .whatsapp: "simulated"],
        defaultSenders: [.sms: "+15550000000", .whatsapp: "+15550000001", .email: "noreply@switchboard.test"],
        prices: [.sms: MicroUSD(7_900), .whatsapp: MicroUSD(5_000), .email: MicroUSD(1_000)])
}

/// A tenant's own messaging setup: which provider (by id) sends each channel for it, and the
/// senders it may send from per channel (a message's `from` must be one of them; the first is
/// the default). A channel it does not name uses the shared default.
public struct TenantAccount: Sendable, Equatable {
    public var routes: [Channel: String]
    public var senders: [Channel: [String]]

    public init(routes: [Channel: String] = [:], senders: [Channel: [String]] = [:]) {
        self.routes = routes
        self.senders = senders
    }
}
