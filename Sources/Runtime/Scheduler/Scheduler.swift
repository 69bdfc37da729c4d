import Foundation
import Logging

/// Fires schedules: each due fire enqueues one job with the unique key
/// `schedule:<name>:<fire time>`, in the same commit that moves the schedule on, so a fire
/// happens once across restarts and concurrent ticks. Missed fires follow the schedule's
/// catch-up policy. `run` ticks whenever the next fire is due or a schedule changes.
public final class Scheduler: Sendable {
    private let store: any ScheduleStore
    private let clock: any WallClock
    private let kinds: Set<String>
    private let tenantlessKinds: Set<String>
    private let minimumInterval: Int64
    private let payloadProblem: @Sendable (String, Data) -> String?
    private let misfireGrace: Duration
    private let logger: Logger
    private let defaultMaxAttempts: @Sendable (String) -> Int
    private let enqueue: @Sendable (NewJob) async throws -> EnqueuedJob
    private let fired: @Sendable () -> Void
    private let changed = WakeSignal()

    init(store: any ScheduleStore, clock: any WallClock, kinds: Set<String>, tenantlessKinds: Set<String> = [],
         minimumInterval: Duration = .seconds(60), payloadProblem: @escaping @Sendable (String, Data) -> String? = { _, _ in nil },
         misfireGrace: Duration, logger: Logger,
         defaultMaxAttempts: @escaping @Sendable (String) -> Int,
         enqueue: @escaping @Sendable (NewJob) async throws -> EnqueuedJob, fired: @escaping @Sendable () -> Void) {
        self.store = store
        self.clock = clock
        self.kinds = kinds
        self.tenantlessKinds = tenantlessKinds
        self.minimumInterval = minimumInterval.components.seconds
        self.payloadProblem = payloadProblem
        self.misfireGrace = misfireGrace
        self.logger = logger
        self.defaultMaxAttempts = defaultMaxAttempts
        self.enqueue = enqueue
        self.fired = fired
    }

    /// The tenant a schedule without one runs as.
    public static let systemTenant = "system"

    // MARK: Managing schedules

    /// Creates or replaces a schedule. Its next fire is computed from now when it is new, when
    /// its timing changed, or when it is re-enabled; otherwise the pending fire is kept.
    /// Refused: an `@every` interval below the minimum (`RuntimeConfiguration.minimumScheduleInterval`;
    /// cron's own resolution is a minute), a payload that does not decode as the kind's, and
    /// the tenant `system` for a kind that is not the server's own work (`runsWithoutTenant`).
    @discardableResult
    public func save(_ schedule: Schedule) async throws -> Schedule {
        let (rule, zone) = try schedule.validated()
        guard kinds.contains(schedule.kind) else {
            throw ScheduleError("kind '\(schedule.kind)' has no registered handler")
        }
        if case .every(let seconds) = rule, seconds < minimumInterval {
            throw ScheduleError("cron: the interval of '\(schedule.expression)' is below the minimum of \(minimumInterval) s")
        }
        if schedule.tenant == Self.systemTenant, !tenantlessKinds.contains(schedule.kind) {
            let allowed = tenantlessKinds.sorted().joined(separator: ", ")
            throw ScheduleError("tenant is required for kind '\(schedule.kind)'; only \(allowed) run without a tenant")
        }
        if let problem = payloadProblem(schedule.kind, schedule.payload) {
            throw ScheduleError("\(problem) (for kind '\(schedule.kind)')")
        }
        let now = clock.now()
        var updated = schedule
        let existing = try await store.schedule(named: schedule.name)
        updated.lastFireAt = existing?.lastFireAt
        let timingChanged = existing.map { $0.expression != schedule.expression || $0.timeZone != schedule.timeZone } ?? true
        if !schedule.enabled {
            updated.nextFireAt = nil
        } else if timingChanged || existing?.nextFireAt == nil {
            updated.nextFireAt = rule.nextFire(after: now, in: zone)
        } else {
            updated.nextFireAt = existing?.nextFireAt
        }
        let saved = try await store.save(updated, now: now)
        changed.signal()
        return saved
    }

    public func remove(named name: String) async throws -> Bool {
        try await store.remove(named: name)
    }

    public func schedule(named name: String) async throws -> Schedule? {
        try await store.schedule(named: name)
    }

    public func schedules() async throws -> [Schedule] {
        try await store.schedules()
    }

    /// Enqueues the schedule's job now, outside its timetable; nil if there is no such schedule.
    public func runNow(named name: String) async throws -> EnqueuedJob? {
        guard let schedule = try await store.schedule(named: name) else { return nil }
        let now = clock.now()
        let key = "schedule:\(name):manual:\(now.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))"
        return try await enqueue(NewJob(kind: schedule.kind, tenant: schedule.tenant, payload: schedule.payload, uniqueKey: key))
    }

    // MARK: Firing

    /// Enqueues every due fire now; returns the jobs (existing ones when a fire had already
    /// been enqueued).
    @discardableResult
    public func tick() async throws -> [EnqueuedJob] {
        let grace = misfireGrace
        let now = clock.now()
        let jobs = try await store.fireDue(now: now, plan: { Self.plan($0, now: now, misfireGrace: grace) },
                                           maxAttempts: defaultMaxAttempts)
        if !jobs.isEmpty {
            fired()
            logger.debug("schedules fired", metadata: ["jobs": "\(jobs.count)"])
        }
        return jobs
    }

    /// What a due schedule enqueues and where it goes next.
    static func plan(_ schedule: Schedule, now: Date, misfireGrace: Duration) -> FirePlan {
        guard let (rule, zone) = try? schedule.validated(), var next = schedule.nextFireAt else {
            return FirePlan(jobs: [], lastFireAt: schedule.lastFireAt, nextFireAt: nil)
        }
        // Keep only the latest fires: no policy runs more than 1,000 missed ones.
        var due: [Date] = []
        var upcoming: Date? = next
        while let fire = upcoming, fire <= now {
            due.append(fire)
            if due.count > 2_000 { due.removeFirst(due.count - 1_001) }
            next = fire
            upcoming = rule.nextFire(after: fire, in: zone)
        }
        let run = schedule.catchUp.firesToRun(due, now: now, grace: misfireGrace)
        let jobs = run.map { fire in
            NewJob(kind: schedule.kind, tenant: schedule.tenant, payload: schedule.payload,
                   uniqueKey: schedule.uniqueKey(forFireAt: fire))
        }
        return FirePlan(jobs: jobs, lastFireAt: due.last ?? schedule.lastFireAt, nextFireAt: upcoming)
    }

    /// Ticks at every due fire until cancelled. While ticks fail (a full disk refuses every
    /// write) it backs off exponentially (`FailureBackoff`: 1 s doubling to 60 s) instead of
    /// retrying a fire that is still due at once, and logs the failure once per minute with
    /// how many ticks failed since, then once more when a tick succeeds again.
    func run() async {
        var backoff = FailureBackoff(base: .seconds(1), cap: .seconds(60), logInterval: .seconds(60))
        while !Task.isCancelled {
            do {
                try await tick()
                if let failures = backoff.succeeded() {
                    logger.notice("firing schedules works again", metadata: ["failedTicks": "\(failures)"])
                }
            } catch {
                let now = clock.now()
                let (retryAt, log) = backoff.failed(at: now)
                if let failures = log {
                    logger.error("firing schedules failed; backing off", metadata: [
                        "error": "\(error)", "failedTicks": "\(failures)", "retryInSeconds": "\(retryAt.timeIntervalSince(now))",
                    ])
                }
                do { try await clock.sleep(until: retryAt) } catch { return }
                continue
            }
            // Wake for the next fire, a changed schedule, or a minute at the most (so a
            // schedule saved by another process is not missed for long).
            let fallback = clock.now().addingTimeInterval(60)
            let next = (try? await store.nextFireAt()).flatMap { $0 } ?? fallback
            await changed.wait(until: min(next, fallback), clock: clock)
        }
    }
}
