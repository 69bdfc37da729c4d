import Foundation
import Testing
@testable import Runtime

@Suite("Daily send windows in a time zone")
struct DailyWindowTests {
    static func utc(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test("inside the window: now; before: today's start; after: tomorrow's start; overnight windows wrap")
    func openings() throws {
        let day = try DailyWindow(start: "08:00", end: "21:00", timeZone: "Europe/Paris")  // CEST = UTC+2 in June
        #expect(day.nextOpening(atOrAfter: Self.utc("2026-06-01T10:00:00Z")) == Self.utc("2026-06-01T10:00:00Z"))
        #expect(day.nextOpening(atOrAfter: Self.utc("2026-06-01T04:00:00Z")) == Self.utc("2026-06-01T06:00:00Z"))
        #expect(day.nextOpening(atOrAfter: Self.utc("2026-06-01T19:00:00Z")) == Self.utc("2026-06-02T06:00:00Z"))
        #expect(day.nextOpening(atOrAfter: Self.utc("2026-06-01T18:59:00Z")) == Self.utc("2026-06-01T18:59:00Z"))
        let night = try DailyWindow(start: "21:00", end: "07:00", timeZone: "Europe/Paris")
        #expect(night.nextOpening(atOrAfter: Self.utc("2026-06-01T10:00:00Z")) == Self.utc("2026-06-01T19:00:00Z"))
        #expect(night.nextOpening(atOrAfter: Self.utc("2026-06-01T23:00:00Z")) == Self.utc("2026-06-01T23:00:00Z"))
        #expect(night.nextOpening(atOrAfter: Self.utc("2026-06-02T04:30:00Z")) == Self.utc("2026-06-02T04:30:00Z"))
        let allDay = try DailyWindow(start: "00:00", end: "24:00", timeZone: "UTC")
        #expect(allDay.nextOpening(atOrAfter: Self.utc("2026-06-01T23:59:00Z")) == Self.utc("2026-06-01T23:59:00Z"))
    }

    @Test("DST: the next morning across the change is 08:00 on the new offset; a start inside the gap opens when it ends")
    func daylightSaving() throws {
        // New York springs forward on 2026-03-08: 08:00 that day is EDT (UTC-4), not EST.
        let newYork = try DailyWindow(start: "08:00", end: "21:00", timeZone: "America/New_York")
        #expect(newYork.nextOpening(atOrAfter: Self.utc("2026-03-08T03:00:00Z")) == Self.utc("2026-03-08T12:00:00Z"))
        // And falls back on 2026-11-01: 08:00 is EST again.
        #expect(newYork.nextOpening(atOrAfter: Self.utc("2026-11-01T03:00:00Z")) == Self.utc("2026-11-01T13:00:00Z"))
        // Paris skips 02:00-03:00 on 2026-03-29: a 02:30 start opens at 03:00 CEST (01:00 UTC).
        let gap = try DailyWindow(start: "02:30", end: "05:00", timeZone: "Europe/Paris")
        #expect(gap.nextOpening(atOrAfter: Self.utc("2026-03-28T23:30:00Z")) == Self.utc("2026-03-29T01:00:00Z"))
    }

    @Test("bad windows are refused naming the field", arguments: [
        ("8:00", "21:00", "UTC", "start"), ("24:00", "21:00", "UTC", "start"), ("08:00", "25:00", "UTC", "end"),
        ("08:00", "08:60", "UTC", "end"), ("08:00", "08:00", "UTC", "end"), ("00:00", "24:00", "Mars/Olympus", "timezone"),
    ])
    func refused(start: String, end: String, zone: String, field: String) {
        #expect(throws: WindowError.self) { try DailyWindow(start: start, end: end, timeZone: zone) }
        do { _ = try DailyWindow(start: start, end: end, timeZone: zone) } catch { #expect(error.field == field) }
    }
}
