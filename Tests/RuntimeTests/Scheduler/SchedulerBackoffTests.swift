import Foundation
import Logging
import Synchronization
import Testing
@testable import Runtime

/// The scheduler while every write is refused: it backs off instead of spinning, and logs once per interval.
@Suite("Scheduler backoff")
struct SchedulerBackoffTests {
    /// A schedule store whose fires fail with a full disk until told otherwise; a fire is always due.
    final class RefusingStore: ScheduleStore {
        let failing = Mutex(true)
        let fireCalls = Mutex(0)
        let due: Date

        init(due: Date) { self.due = due }

        func save(_ schedule: Schedule, now: Date) async throws -> Schedule { schedule }
        func remove(named name: String) async throws -> Bool { false }
        func schedule(named name: String) async throws -> Schedule? { nil }
        func schedules() async throws -> [Schedule] { [] }
        func fireDue(now: Date, plan: @escaping @Sendable (Schedule) -> FirePlan,
                     maxAttempts: @escaping @Sendable (String) -> Int) async throws -> [EnqueuedJob] {
            fireCalls.withLock { $0 += 1 }
            if failing.withLock({ $0 }) { throw StoreError(kind: .diskFull, resultCode: 13, message: "database or disk is full") }
            return []
        }
        func nextFireAt() async throws -> Date? { failing.withLock { $0 } ? due : nil }
    }

    /// Log lines kept in memory.
    final class MemoryLog: Sendable {
        let lines = Mutex<[(Logger.Level, String)]>([])
        func messages(_ level: Logger.Level) -> [String] { lines.withLock { $0.filter { $0.0 == level }.map(\.1) } }

        struct Handler: LogHandler {
            let log: MemoryLog
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                log.lines.withLock { $0.append((event.level, event.message.description)) }
            }
        }

        var logger: Logger { Logger(label: "test", factory: { _ in Handler(log: self) }) }
    }

    /// Yields until the scheduler is asleep on the clock again (a scheduler that retries at
    /// once never sleeps: that is recorded, not waited for).
    func settle(_ clock: TestClock) async {
        for _ in 0..<100_000 {
            if clock.sleeperCount > 0 { return }
            await Task.yield()
        }
        Issue.record("the scheduler never went back to sleep: it retries without waiting")
    }

    @Test("failing ticks back off 1, 2, 4, 8 s (capped at 60 s), log once a minute, and recover")
    func backsOff() async throws {
        let clock = TestClock(now: Date(timeIntervalSince1970: 1_800_000_000))
        let store = RefusingStore(due: clock.now())
        let log = MemoryLog()
        let scheduler = Scheduler(store: store, clock: clock, kinds: [], misfireGrace: .seconds(60), logger: log.logger,
                                  defaultMaxAttempts: { _ in 1 }, enqueue: { _ in throw TestFailure(message: "unused") }, fired: {})
        let running = Task { await scheduler.run() }
        await settle(clock)
        #expect(store.fireCalls.withLock { $0 } == 1)
        // Second by second for 20 s: ticks at 1, 3, 7 and 15 s after the first.
        var ticksAt: [Int] = []
        for second in 1...20 {
            let before = store.fireCalls.withLock { $0 }
            clock.advance(by: .seconds(1))
            await settle(clock)
            if store.fireCalls.withLock({ $0 }) > before { ticksAt.append(second) }
        }
        #expect(ticksAt == [1, 3, 7, 15])
        #expect(log.messages(.error).count == 1, "one line for the first minute of failures")
        // The cap: from the 7th failure on, a tick a minute; the minute's failures are logged in one line.
        for _ in 0..<200 {
            clock.advance(by: .seconds(1))
            await settle(clock)
        }
        let calls = store.fireCalls.withLock { $0 }
        #expect(calls >= 8 && calls <= 10, "\(calls) ticks in 220 s")
        #expect(log.messages(.error).count >= 3 && log.messages(.error).count <= 5)
        store.failing.withLock { $0 = false }
        for _ in 0..<61 {
            clock.advance(by: .seconds(1))
            await settle(clock)
        }
        #expect(log.messages(.notice) == ["firing schedules works again"])
        running.cancel()
        await running.value
    }
}
