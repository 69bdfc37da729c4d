import ArgumentParser
import Dispatch
import Foundation
import Histogram
import Logging
import Runtime
import Synchronization

/// `switchboard bench queue`: no-op jobs through the real store, queue and workers.
///
/// Two runs on fresh databases: (1) enqueue all jobs with no worker running, then start the
/// workers and drain — enqueue/s and drain/s; (2) workers running while the jobs are
/// enqueued — end-to-end jobs/s and enqueue-to-start latency.
struct QueueBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Enqueue and drain no-op jobs.")

    @Option(help: "Jobs to run.") var jobs = 100_000
    @Option(help: "Tenants the jobs are spread over.") var tenants = 10
    @Option(help: "Jobs in flight at once (the worker pool's bound).") var concurrency = 1024
    @Option(help: "Jobs per enqueue call.") var chunk = 500
    @Option(help: "Concurrent enqueuing tasks.") var producers = 4
    @OptionGroup var storage: RuntimeOptions
    @Option(help: ArgumentHelp("Run on PostgreSQL instead of SQLite: a server URL (postgres://user@host:port/db); each run makes a fresh database on it and drops it after.",
                               valueName: "url"))
    var database: String?
    var sync: StoreConfiguration.Synchronous { storage.sync }

    func validate() throws {
        if let database {
            do { _ = try PostgresURL(parsing: database) } catch { throw ValidationError(error.description) }
        }
        guard (1...100_000_000).contains(jobs), (1...100_000).contains(tenants), (1...100_000).contains(concurrency),
              (1...100_000).contains(chunk), (1...1_000).contains(producers) else {
            throw ValidationError("counts must be positive: jobs ≤ 100,000,000, producers ≤ 1,000, the others ≤ 100,000")
        }
    }

    func run() async throws {
        let separate = try await measure(workersDuringEnqueue: false)
        let together = try await measure(workersDuringEnqueue: true)
        let enqueuePerSec = Double(jobs) / separate.enqueueSeconds
        let drainPerSec = Double(jobs) / separate.drainSeconds
        let endToEndPerSec = Double(jobs) / (together.enqueueSeconds + together.drainSeconds)
        let p50 = together.latency.milliseconds(atPercentile: 50)
        let p99 = together.latency.milliseconds(atPercentile: 99)
        let backend = database == nil ? "sqlite" : "postgres"
        print(String(format: "queue (%@): %d jobs, %d tenants, concurrency %d, sync=%@ — enqueue %.0f jobs/s, drain %.0f jobs/s, end to end %.0f jobs/s; enqueue-to-start p50 %.2f ms, p99 %.2f ms",
                     backend, jobs, tenants, concurrency, sync.rawValue, enqueuePerSec, drainPerSec, endToEndPerSec, p50, p99))
        printJSONLine(["bench": "queue", "backend": backend, "jobs": jobs, "tenants": tenants, "sync": sync.rawValue,
                       "enqueuePerSec": enqueuePerSec.rounded(), "drainPerSec": drainPerSec.rounded(),
                       "endToEndPerSec": endToEndPerSec.rounded(), "startLatencyP50Ms": p50, "startLatencyP99Ms": p99])
    }

    private struct Measurement {
        var enqueueSeconds: Double
        var drainSeconds: Double
        var latency: Histogram<UInt64>
    }

    private func measure(workersDuringEnqueue: Bool) async throws -> Measurement {
        if let database { return try await measurePostgres(server: try PostgresURL(parsing: database), workersDuringEnqueue: workersDuringEnqueue) }
        let scratch = try ScratchDirectory(in: storage.dataDir, prefix: "bench")
        defer { scratch.remove() }
        let probe = BenchProbe(expected: jobs)
        var registry = JobRegistry()
        registry.register(BenchJob(probe: probe))
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let runtime = try await JobRuntime.open(
            RuntimeConfiguration(store: StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: scratch.path),
                                                           synchronous: sync),
                                 workers: WorkerConfiguration(maxInFlight: concurrency)),
            registry: registry, logger: logger, onJobFinished: { _, _ in probe.finished() })

        let start = ContinuousClock.now
        var workers: Task<Void, any Error>?
        if workersDuringEnqueue { workers = Task { try await runtime.run() } }
        try await enqueueAll { try await runtime.enqueue($0) }
        let enqueued = ContinuousClock.now
        if workers == nil { workers = Task { try await runtime.run() } }
        await probe.waitUntilDone()
        let done = ContinuousClock.now
        runtime.shutdown()
        try await workers?.value
        let statistics = runtime.sqlite?.statistics
        await runtime.close()
        if let statistics, ProcessInfo.processInfo.environment["BENCH_VERBOSE"] != nil {
            print("  \(statistics.transactions) group commits for \(statistics.writes) writes")
        }
        return Measurement(enqueueSeconds: (enqueued - start).seconds, drainSeconds: (done - enqueued).seconds,
                           latency: probe.latency)
    }

    /// The same two runs on a fresh PostgreSQL database: the queue alone (`JobWorkers`).
    private func measurePostgres(server: PostgresURL, workersDuringEnqueue: Bool) async throws -> Measurement {
        let name = "switchboard_bench_\(UInt64.random(in: 0...UInt64.max))"
        try await PostgresBackend.createDatabase(name, on: server)
        var url = server
        url.database = name
        let backend = try await PostgresBackend.open(url, migrations: PostgresSchema.migrations)
        let probe = BenchProbe(expected: jobs)
        var registry = JobRegistry()
        registry.register(BenchJob(probe: probe))
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let workers = JobWorkers(backend: backend, registry: registry, configuration: WorkerConfiguration(maxInFlight: concurrency),
                                 logger: logger, onJobFinished: { _, _ in probe.finished() })
        let start = ContinuousClock.now
        var running: Task<Void, Never>?
        if workersDuringEnqueue { running = Task { await workers.run() } }
        try await enqueueAll { try await workers.enqueue($0) }
        let enqueued = ContinuousClock.now
        if running == nil { running = Task { await workers.run() } }
        await probe.waitUntilDone()
        let done = ContinuousClock.now
        workers.shutdown()
        await running?.value
        await backend.close()
        try await PostgresBackend.dropDatabase(name, on: server)
        return Measurement(enqueueSeconds: (enqueued - start).seconds, drainSeconds: (done - enqueued).seconds, latency: probe.latency)
    }

    private func enqueueAll(_ enqueue: @escaping @Sendable ([NewJob]) async throws -> Void) async throws {
        let (jobs, chunk, producers, tenants) = (self.jobs, self.chunk, self.producers, self.tenants)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    var index = producer * chunk
                    while index < jobs {
                        let batch = (index..<min(index + chunk, jobs)).map { n in
                            NewJob(kind: BenchJob.kind, tenant: "tenant-\(n % tenants)",
                                   payload: Data("{\"t\":\(DispatchTime.now().uptimeNanoseconds)}".utf8))
                        }
                        try await enqueue(batch)
                        index += producers * chunk
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// Counts finished jobs and records enqueue-to-start latency (microseconds).
final class BenchProbe: Sendable {
    private struct State {
        var finished = 0
        var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let expected: Int
    private let state = Mutex(State())

    init(expected: Int) { self.expected = expected }

    func started(enqueuedAtNanos: UInt64) {
        let micros = (DispatchTime.now().uptimeNanoseconds &- enqueuedAtNanos) / 1_000
        state.withLock { _ = $0.latency.record(micros) }
    }

    func finished() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished += 1
            guard state.finished >= expected else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func waitUntilDone() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.finished >= expected { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    var latency: Histogram<UInt64> { state.withLock { $0.latency } }
}

/// The benchmark's job: records when it started, does nothing else.
struct BenchJob: JobHandler {
    struct Payload: Codable, Sendable { var t: UInt64 }
    static let kind = "bench.noop"
    let probe: BenchProbe

    var options: JobKindOptions { JobKindOptions(retry: .dontRetry) }

    func run(_ payload: Payload, context: JobContext) async throws -> NoOutput {
        probe.started(enqueuedAtNanos: payload.t)
        return NoOutput()
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
