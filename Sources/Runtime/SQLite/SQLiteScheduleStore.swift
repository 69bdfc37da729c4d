public import Foundation

/// Schedules in the `schedules` table; their fires are enqueued through the job store's
/// insert inside the same transaction.
public final class SQLiteScheduleStore: ScheduleStore {
    private let jobs: SQLiteJobStore
    private var database: SQLiteStore { jobs.database }

    public init(jobs: SQLiteJobStore) { self.jobs = jobs }

    private static let columns = "name, expression, timezone, kind, tenant, payload, enabled, catch_up, last_fire_at, next_fire_at"

    private static func schedule(_ row: SQLiteStatement) -> Schedule {
        var schedule = Schedule(
            name: row.string(0) ?? "", expression: row.string(1) ?? "", timeZone: row.string(2) ?? "UTC",
            kind: row.string(3) ?? "", tenant: row.string(4) ?? "", payload: row.data(5) ?? Data("{}".utf8),
            enabled: row.int(6) != 0, catchUp: (try? CatchUpPolicy(parsing: row.string(7) ?? "")) ?? .coalesce)
        schedule.lastFireAt = row.optionalInt64(8).map(Date.init(millisecondsSince1970:))
        schedule.nextFireAt = row.optionalInt64(9).map(Date.init(millisecondsSince1970:))
        return schedule
    }

    public func save(_ schedule: Schedule, now: Date) async throws -> Schedule {
        try await database.write { db in
            let upsert = try db.statement("""
                INSERT INTO schedules (name, expression, timezone, kind, tenant, payload, enabled, catch_up, last_fire_at,
                                       next_fire_at, created_at, updated_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
                ON CONFLICT (name) DO UPDATE SET expression = ?2, timezone = ?3, kind = ?4, tenant = ?5, payload = ?6,
                    enabled = ?7, catch_up = ?8, next_fire_at = ?10, updated_at = ?11
                RETURNING \(Self.columns)
                """)
            upsert.bind(1, schedule.name)
            upsert.bind(2, schedule.expression)
            upsert.bind(3, schedule.timeZone)
            upsert.bind(4, schedule.kind)
            upsert.bind(5, schedule.tenant)
            upsert.bindText(6, schedule.payload)
            upsert.bind(7, schedule.enabled ? 1 : 0)
            upsert.bind(8, schedule.catchUp.description)
            upsert.bind(9, schedule.lastFireAt?.millisecondsSince1970)
            upsert.bind(10, schedule.nextFireAt?.millisecondsSince1970)
            upsert.bind(11, now.millisecondsSince1970)
            guard try upsert.step() else { throw StoreError(kind: .other, message: "saving schedule \(schedule.name) returned nothing") }
            return Self.schedule(upsert)
        }
    }

    public func remove(named name: String) async throws -> Bool {
        try await database.write { db in
            let delete = try db.statement("DELETE FROM schedules WHERE name = ?")
            delete.bind(1, name)
            try delete.run()
            return db.changes > 0
        }
    }

    public func schedule(named name: String) async throws -> Schedule? {
        try await database.read { db in
            let select = try db.statement("SELECT \(Self.columns) FROM schedules WHERE name = ?")
            select.bind(1, name)
            return try select.step() ? Self.schedule(select) : nil
        }
    }

    public func schedules() async throws -> [Schedule] {
        try await database.read { db in
            let select = try db.statement("SELECT \(Self.columns) FROM schedules ORDER BY name")
            var all: [Schedule] = []
            while try select.step() { all.append(Self.schedule(select)) }
            return all
        }
    }

    public func fireDue(now: Date, plan: @escaping @Sendable (Schedule) -> FirePlan,
                        maxAttempts: @escaping @Sendable (String) -> Int) async throws -> [EnqueuedJob] {
        try await database.write { db in
            let select = try db.statement("""
                SELECT \(Self.columns) FROM schedules WHERE enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at <= ?
                """)
            select.bind(1, now.millisecondsSince1970)
            var due: [Schedule] = []
            while try select.step() { due.append(Self.schedule(select)) }
            var enqueued: [EnqueuedJob] = []
            let update = try db.statement("UPDATE schedules SET last_fire_at = ?, next_fire_at = ?, updated_at = ? WHERE name = ?")
            for schedule in due {
                let fire = plan(schedule)
                enqueued += try self.jobs.insert(fire.jobs, maxAttempts: fire.jobs.map { $0.maxAttempts ?? maxAttempts($0.kind) }, db, now: now)
                update.reset()
                update.bind(1, fire.lastFireAt?.millisecondsSince1970)
                update.bind(2, fire.nextFireAt?.millisecondsSince1970)
                update.bind(3, now.millisecondsSince1970)
                update.bind(4, schedule.name)
                try update.run()
            }
            return enqueued
        }
    }

    public func nextFireAt() async throws -> Date? {
        try await database.read { db in
            try db.scalar("SELECT min(next_fire_at) FROM schedules WHERE enabled = 1").map(Date.init(millisecondsSince1970:))
        }
    }
}
