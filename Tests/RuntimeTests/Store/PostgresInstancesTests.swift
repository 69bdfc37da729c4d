import Foundation
import Synchronization
import PostgresTestSupport
import Testing
@testable import Runtime

/// Counts the runs of each job by its label, and says when `expected` runs happened.
private final class RunCounter: Sendable {
    private let state = Mutex<(runs: [String: Int], by: [String: Int], waiter: CheckedContinuation<Void, Never>?)>(([:], [:], nil))
    let expected: Int

    init(expected: Int) { self.expected = expected }

    func ran(_ label: String, on owner: String) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.runs[label, default: 0] += 1
            state.by[owner, default: 0] += 1
            guard state.runs.values.reduce(0, +) >= expected else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func waitForAll() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.runs.values.reduce(0, +) >= expected { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    var runs: [String: Int] { state.withLock { $0.runs } }
    var byOwner: [String: Int] { state.withLock { $0.by } }
}

private struct CountedJob: JobHandler {
    struct Payload: Codable, Sendable { var label: String }
    static let kind = "test.counted"
    let counter: RunCounter
    let owner: String

    func run(_ payload: Payload, context: JobContext) async throws -> NoOutput {
        counter.ran(payload.label, on: owner)
        return NoOutput()
    }
}

/// Several instances on one PostgreSQL database: what `SKIP LOCKED`, the leases and the
/// ledger's row locks promise across processes (each instance is its own backend, with its own
/// connections, as a second process would have).
@Suite("PostgreSQL instances")
struct PostgresInstancesTests {
    @Test("two instances drain one queue together: every job runs exactly once, and both take part")
    func twoInstancesShareTheQueue() async throws {
        let database = try await BackendKind.postgres.database()
        let first = try await database.openRuntime(), second = try await database.openRuntime()
        let count = 2_000
        let counter = RunCounter(expected: count)
        func workers(_ backend: any Backend, _ owner: String) -> JobWorkers {
            var registry = JobRegistry()
            registry.register(CountedJob(counter: counter, owner: owner))
            return JobWorkers(backend: backend, registry: registry, configuration: WorkerConfiguration(maxInFlight: 16), owner: owner)
        }
        let a = workers(first, "instance-a"), b = workers(second, "instance-b")
        _ = try await a.enqueue((0..<count).map { index in
            NewJob(kind: CountedJob.kind, tenant: "t\(index % 5)", payload: Data(#"{"label":"job-\#(index)"}"#.utf8))
        })
        let runA = Task { await a.run() }, runB = Task { await b.run() }
        b.workArrived()
        await counter.waitForAll()
        a.shutdown()
        b.shutdown()
        await runA.value
        await runB.value
        let runs = counter.runs
        #expect(runs.count == count && runs.values.allSatisfy { $0 == 1 }, "a job ran twice or not at all")
        #expect(counter.byOwner.count == 2, "both instances claimed work: \(counter.byOwner)")
        #expect(try await first.jobs.countByState() == [.succeeded: count])
        await first.close()
        await second.close()
    }

    @Test("an instance that died holding leases: another recovers its jobs and runs them; the dead one's late word counts for nothing")
    func deadInstanceJobsAreTakenOver() async throws {
        let database = try await BackendKind.postgres.database()
        let dead = try await database.openRuntime(), alive = try await database.openRuntime()
        let count = 50
        let now = Date()
        _ = try await dead.jobs.enqueue((0..<count).map { index in
            NewJob(kind: CountedJob.kind, tenant: "t1", payload: Data(#"{"label":"job-\#(index)"}"#.utf8))
        }, defaultMaxAttempts: { _ in 3 }, now: now)
        // The instance claims everything, then is killed: its leases run out.
        let claimed = try await dead.jobs.claim(ClaimRequest(owner: "dead", limit: count, now: now, leaseUntil: now.addingTimeInterval(-1)))
        #expect(claimed.jobs.count == count)
        await dead.close()

        let counter = RunCounter(expected: count)
        var registry = JobRegistry()
        registry.register(CountedJob(counter: counter, owner: "alive"))
        let workers = JobWorkers(backend: alive, registry: registry, owner: "alive")
        let running = Task { await workers.run() }
        await counter.waitForAll()
        workers.shutdown()
        await running.value
        #expect(counter.runs.count == count && counter.runs.values.allSatisfy { $0 == 1 })
        // The dead instance's completions arrive late (a process paused, not killed): ignored.
        let late = claimed.jobs.map { JobCompletion(id: $0.id, owner: "dead", outcome: .failed(error: "late"), recoveries: $0.recoveries) }
        try await alive.jobs.complete(late, now: Date())
        #expect(try await alive.jobs.countByState() == [.succeeded: count])
        await alive.close()
    }

    @Test("two instances reserve on one wallet at once: exactly what it affords succeeds, and the ledger balances")
    func walletsAcrossInstances() async throws {
        let database = try await BackendKind.postgres.database()
        let first = try await database.openRuntime(), second = try await database.openRuntime()
        let walletsA = Wallets(backend: first, clock: SystemClock()), walletsB = Wallets(backend: second, clock: SystemClock())
        let wallet = WalletKey.team("acme")
        _ = try await walletsA.credit(MicroUSD(1_000 * 37), to: wallet, reference: "payment")
        let successes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<400 {
                let wallets = index.isMultiple(of: 2) ? walletsA : walletsB
                group.addTask { (try? await wallets.reserve(MicroUSD(1_000), on: wallet, reference: "op-\(index)")) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(successes == 37)
        let balance = try #require(try await walletsB.balance(of: wallet))
        #expect(balance.available == .zero && balance.reserved == MicroUSD(37_000))
        #expect(try await walletsA.audit().isEmpty)
        await first.close()
        await second.close()
    }
}

@Suite("PostgreSQL outage")
struct PostgresOutageTests {
    @Test("while the server is down calls fail with unavailable; after it restarts the same backend works again, nothing committed lost")
    func serverRestart() async throws {
        // A cluster of its own: restarting the shared one would break the tests running beside it.
        let directory = NSTemporaryDirectory() + "switchboard-test-pg-outage-\(UUID().uuidString)"
        let server = try PostgresURL(parsing: try await onDedicatedThread(name: "pg-start") { try TestPostgres.script("start", directory) })
        defer {
            _ = try? TestPostgres.script("stop", directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try await PostgresBackend.createDatabase("outage", on: server)
        var url = server
        url.database = "outage"
        url.sessions = 2
        let backend = try await PostgresBackend.open(url, migrations: PostgresSchema.migrations)
        let wallets = Wallets(backend: backend, clock: SystemClock())
        _ = try await wallets.credit(MicroUSD(5_000), to: .team("acme"), reference: "before")

        _ = try await onDedicatedThread(name: "pg-stop") { try TestPostgres.script("stop", directory) }
        for attempt in 0..<4 {
            await #expect(throws: StoreError.self) { _ = try await wallets.credit(MicroUSD(1), to: .team("acme"), reference: "down-\(attempt)") }
        }
        do {
            _ = try await wallets.balance(of: .team("acme"))
            Issue.record("a read succeeded with the server down")
        } catch let error as StoreError {
            #expect(error.kind == .unavailable, "\(error)")
        }

        _ = try await onDedicatedThread(name: "pg-restart") { try TestPostgres.script("restart", directory) }
        _ = try await wallets.credit(MicroUSD(1_000), to: .team("acme"), reference: "after")
        let balance = try #require(try await wallets.balance(of: .team("acme")))
        #expect(balance.balance == MicroUSD(6_000), "the credit before the outage kept, the one after applied, none while down")
        #expect(try await wallets.audit().isEmpty)
        await backend.close()
    }
}
