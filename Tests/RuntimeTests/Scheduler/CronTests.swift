import Foundation
import Testing
@testable import Runtime

@Suite("Cron and schedule rules")
struct CronTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let newYork = TimeZone(identifier: "America/New_York")!

    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    static func fires(_ expression: String, after start: String, count: Int, in zone: TimeZone = utc) throws -> [String] {
        let rule = try ScheduleRule(parsing: expression)
        var out: [String] = []
        var at = date(start)
        for _ in 0..<count {
            guard let next = rule.nextFire(after: at, in: zone) else { break }
            out.append(next.formatted(.iso8601))
            at = next
        }
        return out
    }

    @Test("valid expressions fire when they should", arguments: [
        ("*/15 * * * *", "2026-01-01T00:07:00Z", ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z"]),
        ("0 9-17/4 * * MON-FRI", "2026-01-02T12:00:00Z", ["2026-01-02T13:00:00Z", "2026-01-02T17:00:00Z", "2026-01-05T09:00:00Z"]),
        ("30 2 1,15 * *", "2026-01-10T00:00:00Z", ["2026-01-15T02:30:00Z", "2026-02-01T02:30:00Z", "2026-02-15T02:30:00Z"]),
        ("0 0 29 FEB *", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]),
        ("0 12 13 * FRI", "2026-03-01T00:00:00Z", ["2026-03-06T12:00:00Z", "2026-03-13T12:00:00Z", "2026-03-20T12:00:00Z"]),
        ("0 0 * * 7", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
        ("5/20 * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z"]),
        ("0 0 1 jan,jul *", "2026-02-01T00:00:00Z", ["2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"]),
        ("@hourly", "2026-01-01T10:59:59Z", ["2026-01-01T11:00:00Z", "2026-01-01T12:00:00Z"]),
        ("@daily", "2026-01-01T10:00:00Z", ["2026-01-02T00:00:00Z"]),
        ("@weekly", "2026-01-01T10:00:00Z", ["2026-01-04T00:00:00Z"]),
        ("@monthly", "2026-01-31T10:00:00Z", ["2026-02-01T00:00:00Z"]),
        ("@yearly", "2026-06-01T00:00:00Z", ["2027-01-01T00:00:00Z"]),
        ("@every 30s", "2026-01-01T00:00:10Z", ["2026-01-01T00:00:30Z", "2026-01-01T00:01:00Z"]),
        ("@every 1h30m", "2026-01-01T00:00:00Z", ["2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z"]),
    ])
    func validExpressions(expression: String, start: String, expected: [String]) throws {
        #expect(try Self.fires(expression, after: start, count: expected.count) == expected)
    }

    @Test("invalid expressions are rejected with the wrong field named", arguments: [
        ("* * * *", "expected 5 fields"),
        ("60 * * * *", "minute field '60': 60 is out of range 0-59"),
        ("* 24 * * *", "hour field"),
        ("* * 0 * *", "day-of-month field"),
        ("* * * 13 *", "month field"),
        ("* * * * 8", "day-of-week field"),
        ("* * * FOO *", "month field 'FOO': 'FOO' is not a number or a name like JAN"),
        ("*/0 * * * *", "step '0'"),
        ("5-1 * * * *", "goes backwards"),
        ("1,,2 * * * *", "minute field"),
        ("0 0 30 2 *", "never occurs"),
        ("@sometimes", "unknown macro"),
        ("@every 0s", "interval"),
        ("@every 5x", "interval"),
        ("", "expected 5 fields"),
    ])
    func invalidExpressions(expression: String, message: String) {
        #expect {
            _ = try ScheduleRule(parsing: expression)
        } throws: { error in
            (error as? ScheduleError)?.message.contains(message) == true
        }
    }

    @Test("a local time skipped by spring-forward fires at the first instant after the gap")
    func springForwardGap() throws {
        // 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        #expect(try Self.fires("30 2 * * *", after: "2026-03-07T12:00:00Z", count: 3, in: Self.newYork) == [
            "2026-03-08T07:00:00Z", // 02:30 does not exist: 03:00 EDT
            "2026-03-09T06:30:00Z", // 02:30 EDT
            "2026-03-10T06:30:00Z",
        ])
        // Every quarter hour across the gap: the four skipped times collapse into one fire.
        #expect(try Self.fires("*/15 * * * *", after: "2026-03-08T06:30:00Z", count: 4, in: Self.newYork) == [
            "2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z", "2026-03-08T07:30:00Z",
        ])
    }

    @Test("a local time repeated by fall-back fires once, at its first occurrence")
    func fallBackOverlap() throws {
        // 2026-11-01 in New York: 02:00 EDT falls back to 01:00 EST (06:00 UTC).
        #expect(try Self.fires("30 1 * * *", after: "2026-10-31T12:00:00Z", count: 2, in: Self.newYork) == [
            "2026-11-01T05:30:00Z", // 01:30 EDT, the first 01:30
            "2026-11-02T06:30:00Z", // the next day; the second 01:30 (06:30 UTC on the 1st) is skipped
        ])
        #expect(try Self.fires("*/30 * * * *", after: "2026-11-01T04:45:00Z", count: 4, in: Self.newYork) == [
            "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z",
        ])
        // Asked from inside the repeated hour, it does not go back to the first occurrence.
        #expect(try Self.fires("45 1 * * *", after: "2026-11-01T06:10:00Z", count: 1, in: Self.newYork) == ["2026-11-02T06:45:00Z"])
    }

    @Test("catch-up policies parse and pick the fires to run", arguments: [
        ("coalesce", 1), ("latest", 1), ("skip", 0), ("all:3", 3), ("all:10", 5),
    ])
    func catchUpPolicies(text: String, runs: Int) throws {
        let now = Self.date("2026-01-01T05:00:30Z")
        let missed = (0..<5).map { Self.date("2026-01-01T0\($0):00:00Z") }
        let picked = try CatchUpPolicy(parsing: text).firesToRun(missed, now: now, grace: .seconds(60))
        #expect(picked.count == runs)
        if runs > 0 { #expect(picked.last == missed.last, "the latest missed fire is always among them") }
        // An on-time fire always runs, and alone under coalesce.
        let onTime = missed + [Self.date("2026-01-01T05:00:00Z")]
        #expect(try CatchUpPolicy(parsing: text).firesToRun(onTime, now: now, grace: .seconds(60)).last == onTime.last)
    }

    @Test("bad catch-up policies are rejected", arguments: ["", "all", "all:0", "all:1001", "sometimes"])
    func badCatchUp(text: String) {
        #expect(throws: ScheduleError.self) { try CatchUpPolicy(parsing: text) }
    }
}
