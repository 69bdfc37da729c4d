import CoreMetrics
public import Runtime
import Synchronization

/// The messaging side of one process, assembled once: configuration, the providers by id and by
/// channel, their rate limiters (`messaging:<provider>`), their health (a circuit breaker and recent
/// results) and the signal that wakes the outbox relay when a message is accepted.
public final class MessagingHub: Sendable {
    public let configuration: MessagingConfiguration
    let providers: [String: any MessagingProvider]
    let limiter: RateLimiter
    let clock: any WallClock
    private let health: [String: ProviderHealth]
    let metrics: MessagingMetrics
    /// Signalled when a message is accepted, so the relay does not wait for its next pass.
    public let relayWake = WakeSignal()

    public init(configuration: MessagingConfiguration, providers: [any MessagingProvider], clock: any WallClock,
                limiter: RateLimiter? = nil, metrics: MessagingMetrics = MessagingMetrics()) {
        self.configuration = configuration
        self.providers = Dictionary(providers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.clock = clock
        self.limiter = limiter ?? Self.limiter(for: configuration, clock: clock)
        self.metrics = metrics
        health = Dictionary(providers.map { provider in
            (provider.id, ProviderHealth(clock: clock, gauge: metrics.breakers.gauge(provider: provider.id)))
        }, uniquingKeysWith: { first, _ in first })
    }

    /// The development hub: the simulated provider for every channel.
    public static func development(clock: any WallClock) -> MessagingHub {
        MessagingHub(configuration: .development, providers: [SimulatedMessagingProvider()], clock: clock)
    }

    /// The provider that sends `channel` for `tenant` (its own account, else the default), if one is configured.
    func provider(for channel: Channel, tenant: String) -> (any MessagingProvider)? {
        configuration.route(channel, tenant: tenant).flatMap { providers[$0] }
    }

    /// Every (provider, channel) that sends for `tenant`: whose templates it may use and see.
    func routes(of tenant: String) -> [(provider: String, channel: Channel)] {
        Channel.allCases.compactMap { channel in configuration.route(channel, tenant: tenant).map { ($0, channel) } }
    }

    static let limiterPrefix = "messaging:"

    /// The limiter key of a provider (the SendGrid adapter feeds its rate-limit headers to the same key).
    public static func limiterKey(_ provider: String) -> String { limiterPrefix + provider }

    /// A limiter whose quotas are `configuration.requestsPerMinute`, for building adapters that
    /// feed it (SendGrid) before the hub exists; `shared` makes the limits the fleet's, and
    /// `startSpent` counts each burst as spent now (a restarted process without `shared`).
    public static func limiter(for configuration: MessagingConfiguration, clock: any WallClock,
                               shared: SharedRateBudget? = nil, startSpent: Bool = false) -> RateLimiter {
        let limits = configuration.requestsPerMinute
        return RateLimiter(clock: clock, shared: shared, spentAt: startSpent ? clock.now() : nil) { key in
            guard key.hasPrefix(limiterPrefix), let rpm = limits[String(key.dropFirst(limiterPrefix.count))] else { return nil }
            return [.requests(rpm, per: .seconds(60))]
        }
    }

    func health(of provider: String) -> ProviderHealth? { health[provider] }

    /// The SendGrid accounts whose Event Webhook this process accepts: provider id and the
    /// public key that signs their events.
    public var sendGridEventKeys: [(provider: String, publicKey: String)] {
        providers.values.compactMap { provider in
            guard let sendGrid = provider as? SendGridProvider, let key = sendGrid.eventWebhookPublicKey else { return nil }
            return (sendGrid.id, key)
        }.sorted { $0.provider < $1.provider }
    }

    /// The Twilio accounts whose status callbacks this process accepts: account SID → (provider
    /// id, auth token, which signs their callbacks).
    public var twilioAccounts: [String: (provider: String, authToken: String)] {
        var accounts: [String: (provider: String, authToken: String)] = [:]
        for case let twilio as TwilioProvider in providers.values { accounts[twilio.accountSID] = (twilio.id, twilio.authToken) }
        return accounts
    }

    /// Each provider as `GET /providers` shows it: all of them, or (for a tenant) those that send for it.
    public func statuses(tenant: String? = nil) -> [ProviderStatus] {
        let used = tenant.map { Set(routes(of: $0).map(\.provider)) }
        return providers.keys.sorted().filter { used?.contains($0) ?? true }.map { id in
            let routes = tenant.map { tenant in Dictionary(uniqueKeysWithValues: self.routes(of: tenant).map { ($0.channel, $0.provider) }) }
                ?? configuration.routes
            let channels = routes.filter { $0.value == id }.map(\.key.rawValue).sorted()
            return ProviderStatus(id: id, name: providers[id]?.name ?? id, channels: channels.isEmpty ? (providers[id]?.channels.map(\.rawValue).sorted() ?? []) : channels,
                                  state: health[id]?.state ?? .healthy, requestsPerMinute: configuration.requestsPerMinute[id])
        }
    }
}

/// A provider as `GET /cpaas/v1/providers` shows it.
public struct ProviderStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case healthy, degraded, down
    }

    public var id: String
    public var name: String
    public var channels: [String]
    public var state: State
    public var requestsPerMinute: Int?
}

/// A provider's health: its breaker (down while open) and its last 50 results (degraded when
/// more than 1 in 10 failed).
final class ProviderHealth: Sendable {
    let breaker: CircuitBreaker
    private let recent = Mutex<[Bool]>([])
    private static let window = 50

    init(clock: any WallClock, gauge: Gauge? = nil) {
        breaker = CircuitBreaker(clock: clock, gauge: gauge)
    }

    func record(success: Bool) {
        if success { breaker.recordSuccess() } else { breaker.recordFailure() }
        recent.withLock { results in
            results.append(success)
            if results.count > Self.window { results.removeFirst(results.count - Self.window) }
        }
    }

    var state: ProviderStatus.State {
        if breaker.state == .open { return .down }
        let (failures, results) = recent.withLock { ($0.count(where: { !$0 }), $0.count) }
        return failures * 10 > max(results, 10) ? .degraded : .healthy
    }
}
