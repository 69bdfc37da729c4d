import Foundation
import Logging
import Synchronization
import Testing
@testable import Runtime

/// A temporary directory removed when the test ends.
final class TemporaryDirectory: Sendable {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "switchboard-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var databasePath: String { RuntimeConfiguration.databasePath(inDataDirectory: path) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// What a `ScriptedJob` does on a run, chosen by the test.
enum Behaviour: String, Codable, Sendable {
    case succeed, fail, snooze, permanent, block, gate
    /// Waits for the gate, then fails (as a provider call that timed out across a pause would).
    case gateThenFail
}

/// A job whose behaviour the payload picks; `block` waits until the task is cancelled.
struct ScriptedJob: JobHandler {
    struct Payload: Codable, Sendable {
        var behaviour: Behaviour
        var label: String = ""
    }

    struct Output: Codable, Sendable, Equatable { var label: String }

    static let kind = "test.scripted"
    let log: RunLog
    var options: JobKindOptions

    func run(_ payload: Payload, context: JobContext) async throws -> Output {
        log.started(payload.label, context: context)
        switch payload.behaviour {
        case .succeed: return Output(label: payload.label)
        case .fail: throw TestFailure(message: "scripted failure")
        case .snooze: throw JobFailure.snooze(for: .seconds(30), reason: "provider said 429")
        case .permanent: throw JobFailure.permanent("bad input")
        case .block:
            try await context.clock.sleep(until: .distantFuture)
            return Output(label: payload.label)
        case .gate:
            await log.gate.wait()
            return Output(label: payload.label)
        case .gateThenFail:
            await log.gate.wait()
            log.sawLapse(context.leaseLapsed)
            throw TestFailure(message: "the provider call timed out")
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Which jobs started, in order, and signals for tests waiting on a start.
final class RunLog: Sendable {
    private let state = Mutex<[(label: String, attempt: Int)]>([])
    let starts: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    /// Jobs with the `gate` behaviour wait here until the test signals it.
    let gate = Gate()

    init() {
        (starts, continuation) = AsyncStream.makeStream()
    }

    func started(_ label: String, context: JobContext) {
        state.withLock { $0.append((label, context.attempt)) }
        continuation.yield(label)
    }

    var labels: [String] { state.withLock { $0.map(\.label) } }

    private let lapses = Mutex<[Bool]>([])
    /// What each `gateThenFail` run saw of its lease.
    func sawLapse(_ lapsed: Bool) { lapses.withLock { $0.append(lapsed) } }
    var lapsesSeen: [Bool] { lapses.withLock { $0 } }
    var attempts: [Int] { state.withLock { $0.map(\.attempt) } }
}

/// A runtime on a test clock with `ScriptedJob` registered, and a stream of finished jobs.
final class TestHarness: Sendable {
    let directory: TemporaryDirectory
    let clock: TestClock
    let log = RunLog()
    let runtime: JobRuntime
    let finished: AsyncStream<(JobID, JobCompletion.Outcome)>

    init(directory: TemporaryDirectory = TemporaryDirectory(), clock: TestClock = TestClock(),
         options: JobKindOptions = JobKindOptions(retry: .exponentialJitter(maxAttempts: 3, base: .seconds(1), maxBackoff: .seconds(60))),
         workers: WorkerConfiguration = WorkerConfiguration(maxInFlight: 16, shutdownGrace: .seconds(5)),
         owner: String? = nil) async throws {
        self.directory = directory
        self.clock = clock
        var registry = JobRegistry()
        registry.register(ScriptedJob(log: log, options: options))
        let (stream, continuation) = AsyncStream<(JobID, JobCompletion.Outcome)>.makeStream()
        finished = stream
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        runtime = try await JobRuntime.open(
            RuntimeConfiguration(store: StoreConfiguration(path: directory.databasePath), workers: workers, owner: owner),
            registry: registry, clock: clock, logger: logger,
            onJobFinished: { job, outcome in continuation.yield((job.id, outcome)) })
    }

    func enqueue(_ behaviour: Behaviour, label: String = "", tenant: String = "t1", priority: Int = 0, runAt: Date? = nil,
                 maxAttempts: Int? = nil, uniqueKey: String? = nil) async throws -> JobRecord {
        try await runtime.enqueue(NewJob(ScriptedJob.self, tenant: tenant, payload: .init(behaviour: behaviour, label: label),
                                         priority: priority, runAt: runAt, maxAttempts: maxAttempts, uniqueKey: uniqueKey)).job
    }

    /// Runs the runtime in the background; the returned task ends when it has drained.
    func start() -> Task<Void, any Error> {
        Task { try await runtime.run() }
    }

    /// Waits for the next finished job.
    func nextFinished() async -> (JobID, JobCompletion.Outcome) {
        var iterator = finished.makeAsyncIterator()
        return await iterator.next()!
    }

    /// Waits for the next started job.
    func nextStarted() async -> String {
        var iterator = log.starts.makeAsyncIterator()
        return await iterator.next()!
    }

    func job(_ id: JobID) async throws -> JobRecord {
        try #require(try await runtime.job(id))
    }
}

extension JobCompletion.Outcome {
    var name: String {
        switch self {
        case .succeeded: "succeeded"
        case .retry: "retry"
        case .snoozed: "snoozed"
        case .released: "released"
        case .failed: "failed"
        case .dead: "dead"
        case .cancelled: "cancelled"
        }
    }
}

/// A counting gate: each `signal` lets one waiter (present or future) through.
final class Gate: Sendable {
    private struct State {
        var permits = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.permits += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let pass = state.withLock { state -> Bool in
                if state.permits > 0 {
                    state.permits -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if pass { continuation.resume() }
        }
    }
}
