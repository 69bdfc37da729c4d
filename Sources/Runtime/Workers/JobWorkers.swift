import Foundation
public import Logging

/// The queue on its own: a worker pool over any backend's job store, with none of
/// `JobRuntime`'s scheduler, wallets or idempotency. For tools and benchmarks that drive the
/// queue on a backend `JobRuntime` does not open yet (PostgreSQL). It promises what the pool
/// promises: leases renewed, lost workers' jobs recovered, a graceful drain on `shutdown`.
public final class JobWorkers: Sendable {
    private let pool: WorkerPool
    private let store: any JobStore
    private let registry: JobRegistry
    private let clock: any WallClock

    public init(backend: any Backend, registry: JobRegistry, configuration: WorkerConfiguration = WorkerConfiguration(),
                clock: any WallClock = SystemClock(), owner: String = RuntimeConfiguration.defaultOwner(),
                logger: Logger = Logger(label: "switchboard.workers"),
                onJobFinished: @escaping @Sendable (JobRecord, JobCompletion.Outcome) -> Void = { _, _ in }) {
        store = backend.jobs
        self.registry = registry
        self.clock = clock
        pool = WorkerPool(store: backend.jobs, registry: registry, clock: clock, configuration: configuration, owner: owner,
                          logger: logger, observer: onJobFinished)
    }

    /// Enqueues the jobs in one commit and wakes the workers.
    @discardableResult
    public func enqueue(_ jobs: [NewJob]) async throws -> [EnqueuedJob] {
        for job in jobs { try JobRuntime.validate(job, registry: registry) }
        let registry = self.registry
        let enqueued = try await store.enqueue(jobs, defaultMaxAttempts: { registry.options(for: $0)?.retry.maxAttempts ?? 1 },
                                               now: clock.now())
        pool.workArrived()
        return enqueued
    }

    /// Wakes the workers: jobs were enqueued elsewhere (by another instance, or the store itself).
    public func workArrived() { pool.workArrived() }

    /// Claims and runs jobs until `shutdown` and the drain after it.
    public func run() async { await pool.run() }

    /// Stops claiming; `run` returns once running jobs finished or were released.
    public func shutdown() { pool.beginShutdown() }
}
