public import Foundation
import Runtime

/// Reads how long a provider's response asks us to hold off, from its headers; a pure function
/// of the headers and the current time, for feeding a 429 back into `RateLimiter.pause`.
///
/// Understood (header names case-insensitive, values with surrounding spaces):
/// - `Retry-After`: delta-seconds (`120`, leniently `1.5`) or an HTTP-date;
/// - `retry-after-ms`: milliseconds;
/// - OpenAI `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens`: Go-style durations
///   (`1s`, `6m0s`, `20ms`, `1h2m3.5s`; a bare number is seconds);
/// - Anthropic `anthropic-ratelimit-requests-reset`, `-tokens-reset`, `-input-tokens-reset`,
///   `-output-tokens-reset`: RFC 3339 instants.
///
/// Promises: the longest of the understood values wins; a value it cannot read entirely is
/// ignored; instants in the past count as zero; the result is rounded up to whole milliseconds
/// and never exceeds `cap` (absurd values are a provider's bug, not a reason to stop for a day).
/// The OpenAI and Anthropic reset headers come with every response and say when a bucket is
/// full again, so read them on a 429, not on every response.
public enum ProviderBackoff {
    /// The longest pause a response can ask for unless the caller says otherwise: one hour.
    public static let defaultCap: Duration = .seconds(3600)

    /// How long the headers ask to wait, or nil when no header says anything readable.
    public static func pause(fromHeaders headers: [String: String], now: Date, cap: Duration = defaultCap) -> Duration? {
        pause(fromHeaderFields: headers.map { (name: $0.key, value: $0.value) }, now: now, cap: cap)
    }

    /// How long the header fields (in order, names possibly repeated) ask to wait, or nil when
    /// none says anything readable.
    public static func pause(fromHeaderFields fields: [(name: String, value: String)], now: Date,
                             cap: Duration = defaultCap) -> Duration? {
        let nowMilliseconds = now.millisecondsSince1970
        var longest: Int64?
        for field in fields {
            guard let wait = milliseconds(name: field.name.lowercased(), value: field.value, now: now,
                                          nowMilliseconds: nowMilliseconds) else { continue }
            longest = max(longest ?? 0, max(0, wait))
        }
        guard let longest else { return nil }
        return .milliseconds(min(longest, RateLimitTime.milliseconds(roundingUp: cap)))
    }

    private static func milliseconds(name: String, value: String, now: Date, nowMilliseconds: Int64) -> Int64? {
        switch name {
        case "retry-after":
            if let seconds = HeaderTime.decimal(value, unitNanoseconds: 1_000_000_000) { return seconds }
            return HeaderTime.httpDate(value, now: now).map { $0 - nowMilliseconds }
        case "retry-after-ms":
            return HeaderTime.decimal(value, unitNanoseconds: 1_000_000)
        case "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens":
            return HeaderTime.goDuration(value)
        case "anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset",
             "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-reset":
            return HeaderTime.rfc3339(value).map { $0 - nowMilliseconds }
        default:
            return nil
        }
    }
}
