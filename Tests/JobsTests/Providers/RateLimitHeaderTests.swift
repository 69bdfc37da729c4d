import Foundation
import Testing
@testable import Jobs
import Runtime

@Suite("Rate limit headers")
struct RateLimitHeaderTests {
    /// 2026-01-01T00:00:00Z, a Thursday.
    static let now = Date(timeIntervalSince1970: 1_767_225_600)

    static func pause(_ headers: [String: String], cap: Duration = ProviderBackoff.defaultCap) -> Duration? {
        ProviderBackoff.pause(fromHeaders: headers, now: now, cap: cap)
    }

    @Test("Retry-After as delta-seconds or as any of the three HTTP-date forms", arguments: [
        ("120", Duration.seconds(120)),
        (" 7 ", .seconds(7)),
        ("0", .zero),
        ("1.5", .milliseconds(1_500)),
        ("Thu, 01 Jan 2026 00:00:30 GMT", .seconds(30)),
        ("Thursday, 01-Jan-26 00:01:00 GMT", .seconds(60)),
        ("Thu Jan  1 00:00:45 2026", .seconds(45)),
        ("Wed, 31 Dec 2025 23:59:00 GMT", .zero), // in the past
    ])
    func retryAfter(value: String, expected: Duration) {
        #expect(Self.pause(["Retry-After": value]) == expected)
    }

    @Test("retry-after-ms in (decimal) milliseconds, rounded up")
    func retryAfterMilliseconds() {
        #expect(Self.pause(["retry-after-ms": "1500"]) == .milliseconds(1_500))
        #expect(Self.pause(["retry-after-ms": "20.5"]) == .milliseconds(21))
    }

    @Test("OpenAI reset headers in Go duration format", arguments: [
        ("1s", Duration.seconds(1)),
        ("6m0s", .seconds(360)),
        ("20ms", .milliseconds(20)),
        ("1h2m3.5s", .milliseconds(3_723_500)),
        ("0", .zero),
        ("17.5us", .milliseconds(1)),
        ("2.5\u{B5}s", .milliseconds(1)),
        ("59.999s", .milliseconds(59_999)),
        ("12", .seconds(12)), // a bare number: seconds
    ])
    func openAIResets(value: String, expected: Duration) {
        #expect(Self.pause(["x-ratelimit-reset-requests": value], cap: .seconds(7_200)) == expected)
        #expect(Self.pause(["x-ratelimit-reset-tokens": value], cap: .seconds(7_200)) == expected)
    }

    @Test("Anthropic reset headers as RFC 3339 instants", arguments: [
        ("2026-01-01T00:00:30Z", Duration.seconds(30)),
        ("2026-01-01T00:00:30.250Z", .milliseconds(30_250)),
        ("2026-01-01T00:00:30.0001Z", .milliseconds(30_001)),
        ("2026-01-01T01:00:30+01:00", .seconds(30)),
        ("2025-12-31T23:00:30-01:00", .seconds(30)),
        ("2026-01-01t00:00:30z", .seconds(30)),
        ("2025-12-31T23:59:59Z", .zero),
    ])
    func anthropicResets(value: String, expected: Duration) {
        for name in ["anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset",
                     "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-reset"] {
            #expect(Self.pause([name: value]) == expected)
        }
    }

    @Test("header names are case-insensitive")
    func caseInsensitiveNames() {
        #expect(Self.pause(["RETRY-AFTER": "3"]) == .seconds(3))
        #expect(Self.pause(["X-RateLimit-Reset-Tokens": "4s"]) == .seconds(4))
        #expect(Self.pause(["Anthropic-RateLimit-Tokens-Reset": "2026-01-01T00:00:05Z"]) == .seconds(5))
        #expect(ProviderBackoff.pause(fromHeaderFields: [(name: "Retry-After", value: "2"), (name: "retry-after", value: "9")],
                                      now: Self.now) == .seconds(9))
    }

    @Test("garbage is ignored, alone or beside a readable header", arguments: [
        ["Retry-After": "soon"],
        ["Retry-After": "-5"],
        ["Retry-After": "5 seconds"],
        ["Retry-After": "Thu, 31 Feb 2026 00:00:30 GMT"],
        ["Retry-After": "Thu, 01 Jan 2026 25:00:30 GMT"],
        ["Retry-After": "Thu, 01 Jan 2026 00:00:30 CET"],
        ["Retry-After": ""],
        ["retry-after-ms": "1e3"],
        ["x-ratelimit-reset-tokens": "1s garbage"],
        ["x-ratelimit-reset-tokens": "-1s"],
        ["x-ratelimit-reset-tokens": "1d"],
        ["x-ratelimit-reset-tokens": "s"],
        ["x-ratelimit-reset-requests": "1.2.3s"],
        ["anthropic-ratelimit-tokens-reset": "2026-01-01 00:00:30"],
        ["anthropic-ratelimit-tokens-reset": "2026-13-01T00:00:30Z"],
        ["anthropic-ratelimit-tokens-reset": "1767225630"],
        ["content-type": "application/json", "x-request-id": "42"],
        [:],
    ])
    func garbageIgnored(headers: [String: String]) {
        #expect(Self.pause(headers) == nil)
        var withReadable = headers
        withReadable["retry-after-ms"] = "250"
        #expect(Self.pause(withReadable) == .milliseconds(250))
    }

    @Test("the longest readable value wins")
    func longestWins() {
        #expect(Self.pause([
            "retry-after": "2",
            "retry-after-ms": "2500",
            "x-ratelimit-reset-requests": "1s",
            "x-ratelimit-reset-tokens": "6m0s",
            "anthropic-ratelimit-tokens-reset": "2026-01-01T00:01:00Z",
            "x-other": "9999",
        ]) == .seconds(360))
        #expect(Self.pause(["retry-after": "Thu, 01 Jan 2026 00:10:00 GMT", "retry-after-ms": "1000"]) == .seconds(600))
    }

    @Test("absurd values are capped: an hour by default, or the caller's cap")
    func capped() {
        #expect(Self.pause(["Retry-After": "86400"]) == .seconds(3_600))
        #expect(Self.pause(["Retry-After": "99999999999999999999999999999"]) == .seconds(3_600))
        #expect(Self.pause(["x-ratelimit-reset-tokens": "99999999h"]) == .seconds(3_600))
        #expect(Self.pause(["Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"]) == .seconds(3_600))
        #expect(Self.pause(["Retry-After": "86400"], cap: .seconds(60)) == .seconds(60))
        #expect(Self.pause(["Retry-After": "30"], cap: .seconds(60)) == .seconds(30))
    }

    @Test("an RFC 850 two-digit year is the latest one not more than 50 years ahead")
    func twoDigitYears() {
        #expect(Self.pause(["Retry-After": "Friday, 01-Jan-76 00:00:00 GMT"]) == .seconds(3_600)) // 2076
        #expect(Self.pause(["Retry-After": "Friday, 01-Jan-77 00:00:00 GMT"]) == .zero) // 1977
    }

    @Test("a 429's headers pause the limiter's key for the longest duration they ask; headers that ask nothing pause nothing")
    func limiterPause() throws {
        let clock = TestClock(now: Self.now)
        let limiter = RateLimiter(clock: clock) { _ in [.requests(10, per: .seconds(1), burst: 10)] }
        let paused = limiter.pause(key: "provider:openai", responseHeaders: ["Retry-After": "30", "x-ratelimit-reset-tokens": "6m0s"])
        #expect(paused == .seconds(360))
        #expect(limiter.pause(key: "provider:openai", responseHeaders: ["content-type": "application/json"]) == nil)
        #expect(try limiter.tryAcquire(key: "provider:openai") == .retryAfter(.seconds(360)))
        #expect(limiter.pause(key: "provider:other", responseHeaders: ["x-ratelimit-limit-requests": "60"]) == nil)
        #expect(limiter.pauseRemaining(key: "provider:other") == nil)
    }
}
