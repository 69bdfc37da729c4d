public import Foundation

/// A daily window of wall-clock time in an IANA zone (`08:00`–`21:00` in `Europe/Paris`), for
/// quiet hours: `nextOpening(atOrAfter:)` is the instant itself inside the window, else the
/// next start. A window whose end is before its start runs overnight (`21:00`–`07:00`). DST
/// follows the scheduler's rules: a start skipped by spring-forward opens at the first instant
/// after the gap; a repeated hour counts once.
public struct DailyWindow: Sendable, Equatable {
    /// Minutes after midnight; `end` may be 1,440 (`24:00`).
    public let start: Int
    public let end: Int
    public let zone: TimeZone

    /// Refuses times that are not `HH:MM` (00:00–23:59, and 24:00 for the end), an unknown zone
    /// and an empty window (start equal to end); the error says which.
    public init(start: String, end: String, timeZone: String) throws(WindowError) {
        guard let start = Self.minutes(start), start < 1_440 else { throw WindowError(field: "start", "start must be HH:MM, 00:00 to 23:59") }
        guard let end = Self.minutes(end) else { throw WindowError(field: "end", "end must be HH:MM, 00:00 to 24:00") }
        guard start != end else { throw WindowError(field: "end", "the window must not be empty (start equal to end)") }
        guard timeZone.utf8.count <= 64, let zone = TimeZone(identifier: timeZone) else {
            throw WindowError(field: "timezone", "timezone must be an IANA zone such as Europe/Paris")
        }
        (self.start, self.end, self.zone) = (start, end, zone)
    }

    /// `instant` if the window is open then, else when it next opens.
    public func nextOpening(atOrAfter instant: Date) -> Date {
        let local = CivilTime(instant, in: zone)
        let minute = local.hour * 60 + local.minute
        let open = start < end ? (start..<end).contains(minute) : (minute >= start || minute < end)
        if open { return instant }
        var day = CivilTime(year: local.year, month: local.month, day: local.day, hour: start / 60, minute: start % 60)
        if minute >= start { day = day.startOfNextDay(); day.hour = start / 60; day.minute = start % 60 }
        return day.instant(in: zone)
    }

    private static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0 else { return nil }
        return hour * 60 + minute
    }
}

/// A send window refused: the field (`start`, `end`, `timezone`) and why.
public struct WindowError: Error, Sendable, Equatable {
    public let field: String
    public let message: String

    init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}
