/// A parsed 5-field cron expression (minute hour day-of-month month day-of-week) with
/// ranges (`1-5`), steps (`*/15`, `0-30/10`, `5/20`), lists (`1,15`) and names (`JAN`, `MON`).
/// As in Vixie cron, when both day fields are restricted a day matches if either does.
public struct CronExpression: Sendable, Equatable {
    let minutes: UInt64      // bits 0...59
    let hours: UInt32        // bits 0...23
    let daysOfMonth: UInt32  // bits 1...31
    let months: UInt16       // bits 1...12
    let daysOfWeek: UInt8    // bits 0...6, Sunday = 0
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    private struct Field {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]
    }

    private static let fields = [
        Field(name: "minute", range: 0...59, names: []),
        Field(name: "hour", range: 0...23, names: []),
        Field(name: "day-of-month", range: 1...31, names: []),
        Field(name: "month", range: 1...12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
        Field(name: "day-of-week", range: 0...7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
    ]

    public init(parsing text: String) throws(ScheduleError) {
        let parts = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard parts.count == 5 else {
            throw ScheduleError("expected 5 fields (minute hour day-of-month month day-of-week), found \(parts.count) in '\(text)'")
        }
        var bits: [UInt64] = []
        for (field, part) in zip(Self.fields, parts) { bits.append(try Self.parse(part, field)) }
        minutes = bits[0]
        hours = UInt32(bits[1])
        daysOfMonth = UInt32(bits[2])
        months = UInt16(bits[3])
        // 7 is another name for Sunday.
        daysOfWeek = UInt8((bits[4] | (bits[4] >> 7)) & 0x7F)
        dayOfMonthRestricted = !parts[2].hasPrefix("*")
        dayOfWeekRestricted = !parts[4].hasPrefix("*")
        if !Self.canEverFire(daysOfMonth: daysOfMonth, months: months, restrictedByWeekday: dayOfWeekRestricted) {
            throw ScheduleError("day-of-month field '\(parts[2])' never occurs in month field '\(parts[3])'")
        }
    }

    private static func parse(_ text: String, _ field: Field) throws(ScheduleError) -> UInt64 {
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            func fail(_ reason: String) -> ScheduleError {
                ScheduleError("\(field.name) field '\(text)': \(reason)")
            }
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count), !pieces[0].isEmpty else { throw fail("'\(item)' is not a value, range or step") }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value > 0, value <= field.range.upperBound else {
                    throw fail("step '\(pieces[1])' must be a number from 1 to \(field.range.upperBound)")
                }
                step = value
            }
            var low: Int, high: Int
            if pieces[0] == "*" {
                (low, high) = (field.range.lowerBound, field.name == "day-of-week" ? 6 : field.range.upperBound)
            } else {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count) else { throw fail("'\(pieces[0])' is not a value or a range") }
                low = try value(bounds[0], field, fail)
                high = bounds.count == 2 ? try value(bounds[1], field, fail) : (pieces.count == 2 ? field.range.upperBound : low)
                guard low <= high else { throw fail("range '\(pieces[0])' goes backwards") }
            }
            for value in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(value) }
        }
        return bits
    }

    private static func value(_ text: Substring, _ field: Field, _ fail: (String) -> ScheduleError) throws(ScheduleError) -> Int {
        if let number = Int(text) {
            guard field.range.contains(number) else {
                throw fail("\(number) is out of range \(field.range.lowerBound)-\(field.range.upperBound)")
            }
            return number
        }
        if let index = field.names.firstIndex(of: text.uppercased()) {
            return field.range.lowerBound == 1 ? index + 1 : index
        }
        let hint = field.names.isEmpty ? "" : " or a name like \(field.names[0])"
        throw fail("'\(text)' is not a number\(hint)")
    }

    private static func canEverFire(daysOfMonth: UInt32, months: UInt16, restrictedByWeekday: Bool) -> Bool {
        if restrictedByWeekday { return true }
        let longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains { month in
            months & (1 << month) != 0 && (1...longest[month]).contains { daysOfMonth & (1 << $0) != 0 }
        }
    }

    func matches(minute: Int) -> Bool { minutes & (1 << UInt64(minute)) != 0 }
    func matches(hour: Int) -> Bool { hours & (1 << UInt32(hour)) != 0 }
    func matches(month: Int) -> Bool { months & (1 << UInt16(month)) != 0 }

    func matches(day: Int, weekday: Int) -> Bool {
        let dom = daysOfMonth & (1 << UInt32(day)) != 0
        let dow = daysOfWeek & (1 << UInt8(weekday)) != 0
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return dom || dow
        case (true, false): return dom
        case (false, true): return dow
        case (false, false): return true
        }
    }

    /// The first local wall-clock minute strictly after `after` that matches, or nil if none
    /// within 28 years (the calendar's weekday cycle).
    func nextMatch(after: CivilTime) -> CivilTime? {
        var t = after.addingMinute()
        let lastYear = after.year + 28
        while t.year <= lastYear {
            if !matches(month: t.month) {
                t = CivilTime(year: t.month == 12 ? t.year + 1 : t.year, month: t.month % 12 + 1, day: 1, hour: 0, minute: 0)
                continue
            }
            if !matches(day: t.day, weekday: t.weekday) {
                t = t.startOfNextDay()
                continue
            }
            if !matches(hour: t.hour) {
                t = t.hour == 23 ? t.startOfNextDay() : CivilTime(year: t.year, month: t.month, day: t.day, hour: t.hour + 1, minute: 0)
                continue
            }
            if !matches(minute: t.minute) {
                t = t.addingMinute()
                continue
            }
            return t
        }
        return nil
    }
}

/// A bad schedule: the message says which part is wrong.
public struct ScheduleError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
