import Foundation
import Testing
@testable import Runtime

@Suite("Scheduler")
struct SchedulerTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000) // 2027-01-15T08:00:00Z

    func schedule(_ expression: String, name: String = "report", catchUp: CatchUpPolicy = .coalesce) -> Schedule {
        Schedule(name: name, expression: expression, kind: ScriptedJob.kind, tenant: "t1",
                 payload: try! JSONEncoder().encode(ScriptedJob.Payload(behaviour: .succeed, label: name)), catchUp: catchUp)
    }

    func scheduledJobs(_ harness: TestHarness) async throws -> [String] {
        try await harness.runtime.sqlite!.read { db in
            let select = try db.statement("SELECT unique_key FROM jobs WHERE unique_key LIKE 'schedule:%' AND kind != 'runtime.idempotency.purge' ORDER BY id")
            var keys: [String] = []
            while try select.step() { keys.append(select.string(0) ?? "") }
            return keys
        }
    }

    @Test("a due fire enqueues one job keyed by its fire time, once, across ticks and a restart")
    func firesOnceAcrossRestart() async throws {
        let directory = TemporaryDirectory()
        let clock = TestClock(now: Self.start)
        let first = try await TestHarness(directory: directory, clock: clock)
        let saved = try await first.runtime.scheduler.save(schedule("*/5 * * * *"))
        #expect(saved.nextFireAt == Self.start.addingTimeInterval(300))
        #expect(try await first.runtime.scheduler.tick().userJobs.isEmpty, "nothing is due yet")
        clock.advance(by: .seconds(300))
        let fired = try await first.runtime.scheduler.tick().userJobs
        #expect(fired.map(\.job.uniqueKey) == ["schedule:report:2027-01-15T08:05:00Z"])
        #expect(try await first.runtime.scheduler.tick().userJobs.isEmpty, "a second tick at the same time fires nothing")
        await first.runtime.close()

        let second = try await TestHarness(directory: directory, clock: clock)
        #expect(try await second.runtime.scheduler.tick().userJobs.isEmpty, "a restart does not fire it again")
        clock.advance(by: .seconds(300))
        #expect(try await second.runtime.scheduler.tick().userJobs.count == 1)
        #expect(try await scheduledJobs(second) == ["schedule:report:2027-01-15T08:05:00Z", "schedule:report:2027-01-15T08:10:00Z"])
    }

    @Test("concurrent ticks fire each due fire once")
    func concurrentTicks() async throws {
        let clock = TestClock(now: Self.start)
        let harness = try await TestHarness(clock: clock)
        try await harness.runtime.scheduler.save(schedule("@every 1m"))
        clock.advance(by: .seconds(60))
        let created = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await harness.runtime.scheduler.tick().userJobs.filter(\.created).count } }
            return try await group.reduce(0, +)
        }
        #expect(created == 1)
        #expect(try await scheduledJobs(harness).count == 1)
    }

    @Test("missed fires follow the catch-up policy", arguments: [
        (CatchUpPolicy.coalesce, ["schedule:p:2027-01-15T13:00:00Z"]),
        (CatchUpPolicy.skip, []),
        (CatchUpPolicy.all(max: 2), ["schedule:p:2027-01-15T12:00:00Z", "schedule:p:2027-01-15T13:00:00Z"]),
    ])
    func catchUp(policy: CatchUpPolicy, expected: [String]) async throws {
        let clock = TestClock(now: Self.start)
        let harness = try await TestHarness(clock: clock)
        try await harness.runtime.scheduler.save(schedule("@hourly", name: "p", catchUp: policy))
        // Down from 08:00 to 13:10: the 09:00 … 13:00 fires were missed.
        clock.advance(by: .seconds(5 * 3600 + 600))
        _ = try await harness.runtime.scheduler.tick()
        #expect(try await scheduledJobs(harness) == expected)
        let after = try #require(try await harness.runtime.scheduler.schedule(named: "p"))
        #expect(after.lastFireAt == Self.start.addingTimeInterval(5 * 3600))
        #expect(after.nextFireAt == Self.start.addingTimeInterval(6 * 3600))
    }

    @Test("the running scheduler fires on time with the test clock and the job runs")
    func runLoopFires() async throws {
        let clock = TestClock(now: Self.start)
        let harness = try await TestHarness(clock: clock)
        let running = harness.start()
        try await harness.runtime.scheduler.save(schedule("@every 1m", name: "ping"))
        clock.advance(by: .seconds(60))
        let (id, outcome) = await harness.nextFinished()
        #expect(outcome.name == "succeeded")
        #expect(try await harness.job(id).uniqueKey == "schedule:ping:2027-01-15T08:01:00Z")
        harness.runtime.shutdown()
        try await running.value
    }

    @Test("saving validates the name, zone, expression and kind")
    func saveValidation() async throws {
        let harness = try await TestHarness()
        var bad = [schedule("* * * *"), schedule("@daily", name: "has space"), schedule("@daily", name: "")]
        var zone = schedule("@daily")
        zone.timeZone = "Mars/Olympus"
        bad.append(zone)
        var kind = schedule("@daily")
        kind.kind = "unknown"
        bad.append(kind)
        for schedule in bad {
            await #expect(throws: ScheduleError.self) { try await harness.runtime.scheduler.save(schedule) }
        }
        #expect(try await harness.runtime.scheduler.schedules().userSchedules.isEmpty)
    }

    @Test("re-saving a schedule keeps its pending fire; disabling stops it; run-now enqueues at once")
    func editing() async throws {
        let clock = TestClock(now: Self.start)
        let harness = try await TestHarness(clock: clock)
        let first = try await harness.runtime.scheduler.save(schedule("@hourly"))
        clock.advance(by: .seconds(1800))
        var changed = schedule("@hourly")
        changed.payload = Data(#"{"behaviour":"succeed","label":"v2"}"#.utf8)
        #expect(try await harness.runtime.scheduler.save(changed).nextFireAt == first.nextFireAt)
        changed.enabled = false
        #expect(try await harness.runtime.scheduler.save(changed).nextFireAt == nil)
        clock.advance(by: .seconds(3600))
        #expect(try await harness.runtime.scheduler.tick().userJobs.isEmpty)
        let manual = try #require(try await harness.runtime.scheduler.runNow(named: "report"))
        #expect(manual.created && manual.job.uniqueKey?.hasPrefix("schedule:report:manual:") == true)
        #expect(try await harness.runtime.scheduler.runNow(named: "missing") == nil)
        #expect(try await harness.runtime.scheduler.remove(named: "report"))
        #expect(try await harness.runtime.scheduler.schedules().userSchedules.isEmpty)
    }
}

/// The runtime schedules its own maintenance (idempotency purge); these tests look at theirs.
extension [EnqueuedJob] {
    var userJobs: [EnqueuedJob] { filter { $0.job.kind != IdempotencyPurgeJob.kind } }
}

extension [Schedule] {
    var userSchedules: [Schedule] { filter { $0.name != IdempotencyPurgeJob.kind } }
}
