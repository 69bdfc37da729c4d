public import Foundation

/// Schedules in the `schedules` table of either backend; a fire's jobs are enqueued through
/// the job store inside the same transaction as the schedule's move to its next fire. Across
/// instances each fire happens once: the due rows are locked (`FOR UPDATE SKIP LOCKED` on
/// PostgreSQL), so an instance that finds them taken skips them, and a row another instance
/// fired is no longer due when its lock is released.
public final class SQLScheduleStore: ScheduleStore {
    private let backend: any Backend

    public init(backend: any Backend) { self.backend = backend }

    private static let columns = "name, expression, timezone, kind, tenant, payload, enabled, catch_up, last_fire_at, next_fire_at"

    private static func schedule(_ row: borrowing SQLRow) -> Schedule {
        var schedule = Schedule(
            name: row["name"], expression: row["expression"], timeZone: row["timezone"] as String? ?? "UTC",
            kind: row["kind"], tenant: row["tenant"], payload: row["payload"] as Data? ?? Data("{}".utf8),
            enabled: row["enabled"], catchUp: (try? CatchUpPolicy(parsing: row["catch_up"])) ?? .coalesce)
        schedule.lastFireAt = (row["last_fire_at"] as Int64?).map(Date.init(millisecondsSince1970:))
        schedule.nextFireAt = (row["next_fire_at"] as Int64?).map(Date.init(millisecondsSince1970:))
        return schedule
    }

    public func save(_ schedule: Schedule, now: Date) async throws -> Schedule {
        try await backend.write { tx in
            let now = now.millisecondsSince1970
            let saved = try tx.first("""
                INSERT INTO schedules (name, expression, timezone, kind, tenant, payload, enabled, catch_up, last_fire_at,
                                       next_fire_at, created_at, updated_at)
                VALUES (\(schedule.name), \(schedule.expression), \(schedule.timeZone), \(schedule.kind), \(schedule.tenant),
                        \(SQLText(schedule.payload)), \(schedule.enabled), \(schedule.catchUp.description),
                        \(schedule.lastFireAt?.millisecondsSince1970), \(schedule.nextFireAt?.millisecondsSince1970), \(now), \(now))
                ON CONFLICT (name) DO UPDATE SET expression = excluded.expression, timezone = excluded.timezone,
                    kind = excluded.kind, tenant = excluded.tenant, payload = excluded.payload, enabled = excluded.enabled,
                    catch_up = excluded.catch_up, updated_at = excluded.updated_at,
                    -- The same timing again keeps the stored next fire: a save that read the row before
                    -- another instance fired it must not put that fire back.
                    next_fire_at = CASE WHEN schedules.expression = excluded.expression AND schedules.timezone = excluded.timezone
                                         AND schedules.enabled = excluded.enabled AND schedules.next_fire_at IS NOT NULL
                                        THEN schedules.next_fire_at ELSE excluded.next_fire_at END
                RETURNING \(raw: Self.columns)
                """, Self.schedule)
            guard let saved else { throw StoreError(kind: .other, message: "saving schedule \(schedule.name) returned nothing") }
            return saved
        }
    }

    public func remove(named name: String) async throws -> Bool {
        try await backend.write { tx in try tx.run("DELETE FROM schedules WHERE name = \(name)") > 0 }
    }

    public func schedule(named name: String) async throws -> Schedule? {
        try await backend.read { tx in try tx.first("SELECT \(raw: Self.columns) FROM schedules WHERE name = \(name)", Self.schedule) }
    }

    public func schedules() async throws -> [Schedule] {
        try await backend.read { tx in try tx.all("SELECT \(raw: Self.columns) FROM schedules ORDER BY name", Self.schedule) }
    }

    public func fireDue(now: Date, plan: @escaping @Sendable (Schedule) -> FirePlan,
                        maxAttempts: @escaping @Sendable (String) -> Int) async throws -> [EnqueuedJob] {
        let jobs = backend.jobs
        return try await backend.write { tx in
            let nowMS = now.millisecondsSince1970
            let due = try tx.all("""
                SELECT \(raw: Self.columns) FROM schedules
                WHERE enabled = \(true) AND next_fire_at IS NOT NULL AND next_fire_at <= \(nowMS)
                ORDER BY name\(raw: tx.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : "")
                """, Self.schedule)
            var enqueued: [EnqueuedJob] = []
            for schedule in due {
                let fire = plan(schedule)
                enqueued += try jobs.enqueue(fire.jobs, maxAttempts: fire.jobs.map { $0.maxAttempts ?? maxAttempts($0.kind) },
                                             now: now, in: tx)
                try tx.run("""
                    UPDATE schedules SET last_fire_at = \(fire.lastFireAt?.millisecondsSince1970),
                        next_fire_at = \(fire.nextFireAt?.millisecondsSince1970), updated_at = \(nowMS)
                    WHERE name = \(schedule.name)
                    """)
            }
            return enqueued
        }
    }

    public func nextFireAt() async throws -> Date? {
        try await backend.read { tx in
            try tx.first("SELECT min(next_fire_at) AS next FROM schedules WHERE enabled = \(true)") { $0["next"] as Int64? }?
                .map(Date.init(millisecondsSince1970:))
        }
    }
}
