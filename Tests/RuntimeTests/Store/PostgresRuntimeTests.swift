import Foundation
import Logging
import PostgresTestSupport
import Testing
@testable import Runtime

@Suite("The runtime on PostgreSQL, several instances on one database")
struct PostgresRuntimeTests {
    private static func quietLogger() -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// Waits for the first start the log reports, failing the test after `seconds` (a bound on a hang, not a timing assertion).
    private static func firstStart(_ log: RunLog, within seconds: Double) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { for await label in log.starts { return label }; return nil }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test("an idle instance runs a job another instance queued, woken by NOTIFY (its own recheck is an hour away)")
    func notifyWakesAnIdleInstance() async throws {
        let url = try await TestPostgres.shared.freshDatabase()
        let log = RunLog()
        var registry = JobRegistry()
        registry.register(ScriptedJob(log: log, options: JobKindOptions()))
        let runtime = try await JobRuntime.open(
            RuntimeConfiguration(store: StoreConfiguration(path: "/nonexistent/unused.sqlite"), postgres: url,
                                 workers: WorkerConfiguration(idleRecheck: .seconds(3_600))),
            registry: registry, logger: Self.quietLogger())
        let running = Task { try await runtime.run() }
        // Another instance: only the database links them.
        let other = try await PostgresBackend.open(url, migrations: [])
        let payload = try JSONEncoder().encode(ScriptedJob.Payload(behaviour: .succeed, label: "from-the-other-instance"))
        _ = try await other.write { tx in
            try other.jobs.enqueue([NewJob(kind: ScriptedJob.kind, tenant: "t1", payload: payload)], maxAttempts: [1], now: Date(), in: tx)
        }
        #expect(await Self.firstStart(log, within: 30) == "from-the-other-instance")
        runtime.shutdown()
        try await running.value
        await runtime.close()
        await other.close()
    }

    @Test("two instances firing the same due schedules at once fire each exactly once")
    func eachFireOnce() async throws {
        let url = try await TestPostgres.shared.freshDatabase()
        let first = try await PostgresBackend.open(url, migrations: PostgresSchema.migrations)
        let second = try await PostgresBackend.open(url, migrations: PostgresSchema.migrations)
        let now = Date()
        let stores = [SQLScheduleStore(backend: first), SQLScheduleStore(backend: second)]
        for index in 0..<20 {
            var schedule = Schedule(name: "s\(index)", expression: "* * * * *", timeZone: "UTC", kind: "test.scripted", tenant: "t1")
            schedule.nextFireAt = now.addingTimeInterval(-1)
            _ = try await stores[0].save(schedule, now: now)
        }
        let plan: @Sendable (Schedule) -> FirePlan = { schedule in
            FirePlan(jobs: [NewJob(kind: "test.scripted", tenant: "t1", payload: Data("{}".utf8))], lastFireAt: schedule.nextFireAt,
                     nextFireAt: now.addingTimeInterval(60))
        }
        let fired = try await withThrowingTaskGroup(of: Int.self) { group in
            for round in 0..<10 {
                let store = stores[round % 2]
                group.addTask { try await store.fireDue(now: now, plan: plan, maxAttempts: { _ in 1 }).count }
            }
            return try await group.reduce(0, +)
        }
        #expect(fired == 20)
        #expect(try await first.jobs.countByState()[.queued] == 20)
        await first.close()
        await second.close()
    }
}
