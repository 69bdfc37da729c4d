/// One limit on one key: at most `limit` units (requests or tokens) per `period`, of which at
/// most `burst` may be taken at once. A key may carry several quotas (requests per minute and
/// tokens per minute); an acquisition must fit all of them.
///
/// It promises a steady refill (GCRA): `limit / period` units come back continuously, never in
/// a lump at a window boundary, and a key that has been idle for a whole period holds `burst`.
/// Time is counted in whole milliseconds; out-of-range values are clamped (limit and burst at
/// least 1, period rounded up to whole milliseconds, from 1 ms to 10 years).
public struct Quota: Sendable, Hashable, CustomStringConvertible {
    /// What a quota counts; a `Permit` says how many of each an acquisition takes.
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        case requests
        case tokens
    }

    public let unit: Unit
    /// Units that come back per `period`.
    public let limit: Int
    /// How long the whole `limit` takes to come back, in whole milliseconds.
    public let period: Duration
    /// The bucket's capacity: the most units admitted at once after a rest. No permit larger
    /// than this can ever be admitted.
    public let burst: Int

    /// `limit` units of `unit` per `period`; `burst` defaults to `limit`.
    public init(_ limit: Int, _ unit: Unit, per period: Duration, burst: Int? = nil) {
        self.unit = unit
        self.limit = max(1, limit)
        self.period = .milliseconds(max(1, RateLimitTime.milliseconds(roundingUp: period, cappedAt: Quota.longestPeriod)))
        self.burst = max(1, burst ?? limit)
    }

    /// `limit` requests per `period` (a minute unless told).
    public static func requests(_ limit: Int, per period: Duration = .seconds(60), burst: Int? = nil) -> Quota {
        Quota(limit, .requests, per: period, burst: burst)
    }

    /// `limit` tokens per `period` (a minute unless told).
    public static func tokens(_ limit: Int, per period: Duration = .seconds(60), burst: Int? = nil) -> Quota {
        Quota(limit, .tokens, per: period, burst: burst)
    }

    /// Ten years, in milliseconds.
    static let longestPeriod: Int64 = 10 * 366 * 86_400_000

    public var description: String {
        let burstText = burst == limit ? "" : " (burst \(burst))"
        return "\(limit) \(unit.rawValue) per \(period.milliseconds) ms\(burstText)"
    }
}
