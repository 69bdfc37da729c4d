public import Foundation

/// Where schedules live. `fireDue` must enqueue a schedule's fires and move the schedule on
/// in one atomic step, so a crash between the two can neither lose nor repeat a fire.
public protocol ScheduleStore: Sendable {
    func save(_ schedule: Schedule, now: Date) async throws -> Schedule
    func remove(named name: String) async throws -> Bool
    func schedule(named name: String) async throws -> Schedule?
    func schedules() async throws -> [Schedule]
    /// For every enabled schedule due at `now`, asks `plan` what to enqueue and where the
    /// schedule goes next, then does it, all in one transaction.
    func fireDue(now: Date, plan: @escaping @Sendable (Schedule) -> FirePlan,
                 maxAttempts: @escaping @Sendable (String) -> Int) async throws -> [EnqueuedJob]
    /// The earliest next fire among enabled schedules.
    func nextFireAt() async throws -> Date?
}

/// What one due schedule does at a tick.
public struct FirePlan: Sendable {
    public var jobs: [NewJob]
    public var lastFireAt: Date?
    public var nextFireAt: Date?
}
