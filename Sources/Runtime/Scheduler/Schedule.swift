public import Foundation

/// A named recurring job: when it fires, and the job each fire enqueues (with the unique key
/// `schedule:<name>:<fire time>`, so each fire runs once even across restarts).
public struct Schedule: Sendable, Equatable {
    public var name: String
    /// Cron or macro text, kept as the operator wrote it.
    public var expression: String
    /// IANA zone the cron fields are read in (ignored by `@every`).
    public var timeZone: String
    public var kind: String
    public var tenant: String
    public var payload: Data
    public var enabled: Bool
    public var catchUp: CatchUpPolicy
    /// The latest fire that was handled (run, coalesced or skipped).
    public var lastFireAt: Date?
    /// The next fire, or nil when disabled or never again.
    public var nextFireAt: Date?

    public init(name: String, expression: String, timeZone: String = "UTC", kind: String, tenant: String = "system",
                payload: Data = Data("{}".utf8), enabled: Bool = true, catchUp: CatchUpPolicy = .coalesce) {
        self.name = name
        self.expression = expression
        self.timeZone = timeZone
        self.kind = kind
        self.tenant = tenant
        self.payload = payload
        self.enabled = enabled
        self.catchUp = catchUp
    }

    /// The parsed rule and zone; throws with a message naming what is wrong.
    public func validated() throws(ScheduleError) -> (ScheduleRule, TimeZone) {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        guard !name.isEmpty, name.count <= 100, allowed else {
            throw ScheduleError("name '\(name)' must be 1–100 characters of letters, digits, '.', '_' or '-'")
        }
        guard let zone = TimeZone(identifier: timeZone) else {
            throw ScheduleError("time zone '\(timeZone)' is not an IANA zone name such as Europe/Paris")
        }
        return (try ScheduleRule(parsing: expression), zone)
    }

    /// The unique key of the job enqueued for the fire at `fire`.
    public func uniqueKey(forFireAt fire: Date) -> String {
        "schedule:\(name):\(Self.fireTimeFormat.format(fire))"
    }

    private static let fireTimeFormat: Date.ISO8601FormatStyle = .iso8601
}
