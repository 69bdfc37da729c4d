public import Foundation

/// When a schedule fires: a cron expression in a time zone, or a fixed interval.
///
/// Accepted forms: 5-field cron; `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily`
/// (`@midnight`), `@hourly`; `@every 30s` / `5m` / `1h30m` / `2d` (aligned to the epoch, so
/// fires do not drift across restarts).
public enum ScheduleRule: Sendable, Equatable {
    case cron(CronExpression)
    case every(seconds: Int64)

    public init(parsing text: String) throws(ScheduleError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed.lowercased() {
        case "@yearly", "@annually": self = .cron(try CronExpression(parsing: "0 0 1 1 *"))
        case "@monthly": self = .cron(try CronExpression(parsing: "0 0 1 * *"))
        case "@weekly": self = .cron(try CronExpression(parsing: "0 0 * * 0"))
        case "@daily", "@midnight": self = .cron(try CronExpression(parsing: "0 0 * * *"))
        case "@hourly": self = .cron(try CronExpression(parsing: "0 * * * *"))
        case let other where other.hasPrefix("@every"):
            self = .every(seconds: try Self.parseInterval(String(other.dropFirst("@every".count)).trimmingCharacters(in: .whitespaces)))
        case let other where other.hasPrefix("@"):
            throw ScheduleError("unknown macro '\(trimmed)'; use @yearly, @monthly, @weekly, @daily, @hourly or @every <interval>")
        default:
            self = .cron(try CronExpression(parsing: trimmed))
        }
    }

    private static func parseInterval(_ text: String) throws(ScheduleError) -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var total: Int64 = 0, digits = ""
        for character in text {
            if character.isNumber { digits.append(character); continue }
            guard let unit = units[character], let value = Int64(digits), value <= 1_000_000 else {
                throw ScheduleError("interval '\(text)' must look like 30s, 5m, 1h30m or 2d")
            }
            total += value * unit
            digits = ""
        }
        guard digits.isEmpty, total >= 1, total <= 366 * 86_400 else {
            throw ScheduleError("interval '\(text)' must look like 30s, 5m, 1h30m or 2d, between 1s and 366d")
        }
        return total
    }

    /// The first fire strictly after `instant`, or nil if the rule never fires again.
    public func nextFire(after instant: Date, in zone: TimeZone) -> Date? {
        switch self {
        case .every(let seconds):
            let now = Int64(instant.timeIntervalSince1970.rounded(.down))
            return Date(timeIntervalSince1970: Double((now.floorDiv(seconds) + 1) * seconds))
        case .cron(let expression):
            var local = CivilTime(instant, in: zone)
            for _ in 0..<240 {
                guard let match = expression.nextMatch(after: local) else { return nil }
                let fire = match.instant(in: zone)
                // A repeated hour: the match's first occurrence may be at or before `instant`;
                // it already fired, so look further on.
                if fire > instant { return fire }
                local = match
            }
            return nil
        }
    }
}

extension Int64 {
    fileprivate func floorDiv(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
