import Foundation

/// A local wall-clock minute (proleptic Gregorian), and the conversions between wall-clock
/// time in an IANA zone and instants, with the DST rules schedules follow: a local time that
/// is skipped (spring forward) maps to the first instant after the gap; a local time that
/// occurs twice (fall back) maps to its first occurrence only.
struct CivilTime: Equatable, Comparable, Sendable {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int

    /// Days since 1970-01-01 (H. Hinnant's days_from_civil).
    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 0 = Sunday.
    var weekday: Int { ((daysSinceEpoch % 7) + 11) % 7 }

    /// Seconds since 1970 of this wall time read as if it were UTC.
    var localSeconds: Int64 { Int64(daysSinceEpoch) * 86_400 + Int64(hour * 3_600 + minute * 60) }

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        (self.year, self.month, self.day, self.hour, self.minute) = (year, month, day, hour, minute)
    }

    /// The wall time (to the minute) of `localSeconds`.
    init(localSeconds: Int64) {
        let days = Int((localSeconds >= 0 ? localSeconds : localSeconds - 86_399) / 86_400)
        let secondsOfDay = Int(localSeconds - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day,
                  hour: secondsOfDay / 3_600, minute: secondsOfDay % 3_600 / 60)
    }

    /// The wall time in `zone` at `instant`.
    init(_ instant: Date, in zone: TimeZone) {
        let seconds = Int64(instant.timeIntervalSince1970.rounded(.down))
        self.init(localSeconds: seconds + Int64(zone.secondsFromGMT(for: instant)))
    }

    func addingMinute() -> CivilTime {
        var next = self
        next.minute += 1
        if next.minute == 60 {
            next.minute = 0
            next.hour += 1
            if next.hour == 24 { return startOfNextDay() }
        }
        return next
    }

    func startOfNextDay() -> CivilTime {
        CivilTime(localSeconds: Int64(daysSinceEpoch + 1) * 86_400)
    }

    /// The instant at which this wall time occurs in `zone` (see the type's DST rules).
    func instant(in zone: TimeZone) -> Date {
        let local = localSeconds
        let before = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local - 86_400))))
        let after = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local + 86_400))))
        let valid = Set([before, after]).map { local - $0 }.filter { candidate in
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(candidate)))) == local - candidate
        }
        if let first = valid.min() { return Date(timeIntervalSince1970: Double(first)) }
        // In a gap: the clock jumped from `before` to `after`. Find the jump's instant.
        var low = local - after, high = local - before
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(middle)))) == before { low = middle } else { high = middle }
        }
        return Date(timeIntervalSince1970: Double(high))
    }

    static func < (lhs: CivilTime, rhs: CivilTime) -> Bool { lhs.localSeconds < rhs.localSeconds }
}
