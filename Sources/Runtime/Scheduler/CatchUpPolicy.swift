import Foundation

/// What a schedule does about fires it missed (the process was down, or the scheduler fell
/// behind by more than the misfire grace).
public enum CatchUpPolicy: Sendable, Equatable, CustomStringConvertible {
    /// One catch-up run for the whole gap, for the latest missed fire time (the default).
    case coalesce
    /// No catch-up: missed fires are dropped.
    case skip
    /// One run per missed fire, the latest `max` of them.
    case all(max: Int)

    /// Parses `coalesce` (or `latest`), `skip`, or `all:N` (N from 1 to 1000).
    public init(parsing text: String) throws(ScheduleError) {
        switch text.lowercased() {
        case "coalesce", "latest": self = .coalesce
        case "skip": self = .skip
        case let other where other.hasPrefix("all:"):
            guard let count = Int(other.dropFirst(4)), (1...1000).contains(count) else {
                throw ScheduleError("catch-up 'all:N' needs N from 1 to 1000, got '\(text)'")
            }
            self = .all(max: count)
        default:
            throw ScheduleError("catch-up policy '\(text)' must be coalesce, skip or all:N")
        }
    }

    public var description: String {
        switch self {
        case .coalesce: "coalesce"
        case .skip: "skip"
        case .all(let max): "all:\(max)"
        }
    }

    /// Which of the due fires (oldest first, all at or before now) to run: the on-time ones
    /// always, the missed ones as the policy says.
    func firesToRun(_ due: [Date], now: Date, grace: Duration) -> [Date] {
        let onTime = due.filter { now.timeIntervalSince($0) <= grace.timeInterval }
        let missed = due.filter { now.timeIntervalSince($0) > grace.timeInterval }
        guard !missed.isEmpty else { return onTime }
        switch self {
        case .coalesce: return onTime.isEmpty ? [missed.last!] : onTime
        case .skip: return onTime
        case .all(let max): return Array(missed.suffix(max)) + onTime
        }
    }
}
