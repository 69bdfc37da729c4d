public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The engine: the store, the job queue, the worker pool and the scheduler of one process.
/// Open it, enqueue work, and `run` it (directly or in a `ServiceGroup`) until a graceful
/// shutdown, which stops claiming, lets running jobs finish within the grace period, releases
/// the rest and returns.
public final class JobRuntime: Service, Sendable {
    /// Where all state lives; its transactions let callers commit several repositories' writes together.
    public let backend: any Backend
    /// The SQLite store under `backend` when it is SQLite (backup, check, statistics); nil on PostgreSQL.
    public let sqlite: SQLiteStore?
    /// The jobs, in the backend's database.
    public let jobs: any JobStore
    public let scheduler: Scheduler
    /// Tenants' credit wallets, in the same database.
    public let wallets: Wallets
    /// `Idempotency-Key` records, in the same database; purged by a scheduled job.
    public let idempotency: IdempotencyStore
    /// Rate-limit capacity shared with the other instances on the database (PostgreSQL); nil on SQLite.
    public let rateBudget: SharedRateBudget?
    public let clock: any WallClock
    private let registry: JobRegistry
    private let pool: WorkerPool
    private let phase = Mutex(Phase.opened)

    /// Where the runtime is in its life; health checks report it.
    public enum Phase: String, Sendable {
        /// Open, workers not started yet.
        case opened
        /// Workers and scheduler running.
        case running
        /// Draining after a shutdown began.
        case stopping
        /// `run` returned.
        case stopped
    }

    private init(backend: any Backend, sqlite: SQLiteStore?, scheduler: Scheduler, wallets: Wallets,
                 idempotency: IdempotencyStore, rateBudget: SharedRateBudget?, clock: any WallClock, registry: JobRegistry,
                 pool: WorkerPool) {
        self.backend = backend
        self.sqlite = sqlite
        self.jobs = backend.jobs
        self.scheduler = scheduler
        self.wallets = wallets
        self.idempotency = idempotency
        self.rateBudget = rateBudget
        self.clock = clock
        self.registry = registry
        self.pool = pool
    }

    /// Opens the database (running migrations: the runtime's and `migrations`), settles or
    /// releases the wallet reservations a previous process left held, and prepares the workers
    /// and scheduler; nothing runs until `run`.
    public static func open(_ configuration: RuntimeConfiguration, registry: JobRegistry, migrations: [Migration] = [],
                            postgresMigrations: [Migration] = [],
                            idempotency idempotencyConfiguration: IdempotencyConfiguration = IdempotencyConfiguration(),
                            clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "switchboard.runtime"),
                            onJobFinished: @escaping @Sendable (JobRecord, JobCompletion.Outcome) -> Void = { _, _ in })
        async throws -> JobRuntime {
        try await open(configuration, registry: { _ in registry }, migrations: migrations, postgresMigrations: postgresMigrations,
                       idempotency: idempotencyConfiguration,
                       clock: clock, logger: logger, onJobFinished: onJobFinished)
    }

    /// What job handlers may need from the runtime they run in (wallets to charge, the store).
    public struct Services: Sendable {
        /// Where all state lives, on either backend.
        public let backend: any Backend
        public let jobs: any JobStore
        public let wallets: Wallets
        public let idempotency: IdempotencyStore
        public let clock: any WallClock
        /// Rate-limit capacity shared with the other instances on the database; nil where this
        /// process is the only one (SQLite).
        public let rateBudget: SharedRateBudget?
    }

    /// `open` for handlers that need the runtime's own services: `registry` is called once with them.
    /// `migrations` are the caller's SQLite tables, `postgresMigrations` the same on PostgreSQL
    /// (`configuration.postgres` picks the backend).
    public static func open(_ configuration: RuntimeConfiguration, registry makeRegistry: (Services) throws -> JobRegistry,
                            migrations: [Migration] = [], postgresMigrations: [Migration] = [],
                            idempotency idempotencyConfiguration: IdempotencyConfiguration = IdempotencyConfiguration(),
                            clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "switchboard.runtime"),
                            onJobFinished: @escaping @Sendable (JobRecord, JobCompletion.Outcome) -> Void = { _, _ in })
        async throws -> JobRuntime {
        let backend: any Backend
        let sqlite: SQLiteStore?
        if let url = configuration.postgres {
            backend = try await PostgresBackend.open(url, migrations: PostgresSchema.migrations + postgresMigrations, logger: logger)
            sqlite = nil
        } else {
            let store = try await SQLiteStore.open(configuration.store,
                                                   migrations: RuntimeSchema.migrations + WalletSchema.migrations
                                                       + IdempotencySchema.migrations + migrations, logger: logger)
            backend = SQLiteBackend(store: store)
            sqlite = store
        }
        let writable = configuration.postgres != nil || !configuration.store.readOnly
        let jobs = backend.jobs
        let wallets = Wallets(backend: backend, clock: clock)
        let owner = configuration.owner ?? RuntimeConfiguration.defaultOwner()
        var idempotencyConfiguration = idempotencyConfiguration
        idempotencyConfiguration.owner = idempotencyConfiguration.owner ?? owner
        let idempotency = IdempotencyStore(backend: backend, clock: clock, configuration: idempotencyConfiguration)
        // Only for one file on one host: on a shared database a host name and pid do not tell
        // another instance's process apart (containers), so marks there wait out their lease.
        if writable, sqlite != nil {
            do {
                let freed = try await idempotency.releaseMarksOfDeadProcesses()
                if freed > 0 { logger.info("freed the Idempotency-Key marks of a process that died", metadata: ["keys": "\(freed)"]) }
            } catch {
                logger.warning("could not free the Idempotency-Key marks of dead processes; they free when their lease ends",
                               metadata: ["error": "\(error)"])
            }
        }
        let rateBudget = configuration.postgres == nil ? nil : SharedRateBudget(backend: backend, clock: clock)
        let registry = try makeRegistry(Services(backend: backend, jobs: jobs, wallets: wallets, idempotency: idempotency, clock: clock,
                                                 rateBudget: rateBudget))
            .adding(IdempotencyPurgeJob(store: idempotency))
        if writable {
            let reconciled = try await wallets.reconcile(job: { try await jobs.job($0, tenant: nil) })
            if reconciled != (0, 0) {
                logger.warning("reconciled wallet reservations left by a previous process",
                               metadata: ["settled": "\(reconciled.settled)", "released": "\(reconciled.released)"])
            }
        }
        var workers = configuration.workers
        workers.idleRecheck = workers.idleRecheck ?? backend.idleRecheck
        let pool = WorkerPool(store: jobs, registry: registry, clock: clock, configuration: workers,
                              owner: owner, logger: logger, observer: onJobFinished)
        let maxAttempts: @Sendable (String) -> Int = { registry.options(for: $0)?.retry.maxAttempts ?? 1 }
        let scheduler = Scheduler(
            store: SQLScheduleStore(backend: backend), clock: clock, kinds: registry.kinds, tenantlessKinds: registry.tenantlessKinds,
            minimumInterval: configuration.minimumScheduleInterval, payloadProblem: { registry.payloadProblem(kind: $0, payload: $1) },
            misfireGrace: configuration.misfireGrace, logger: logger, defaultMaxAttempts: maxAttempts,
            enqueue: { job in
                try Self.validate(job, registry: registry)
                let enqueued = try await jobs.enqueue([job], defaultMaxAttempts: maxAttempts, now: clock.now())[0]
                pool.workArrived()
                return enqueued
            },
            fired: { pool.workArrived() })
        if writable { _ = try await scheduler.save(IdempotencyPurgeJob.schedule) }
        return JobRuntime(backend: backend, sqlite: sqlite, scheduler: scheduler, wallets: wallets, idempotency: idempotency,
                          rateBudget: rateBudget, clock: clock, registry: registry, pool: pool)
    }

    /// Where the runtime is in its life.
    public var currentPhase: Phase { phase.withLock { $0 } }

    /// This process's lease owner name.
    public var owner: String { pool.owner }

    // MARK: Queue

    /// Enqueues one job; with a unique key that exists, returns the existing job.
    @discardableResult
    public func enqueue(_ job: NewJob) async throws -> EnqueuedJob {
        try await enqueue([job])[0]
    }

    /// Enqueues many jobs in one commit, with the caller's own writes (`alongside`) if any.
    @discardableResult
    public func enqueue(_ newJobs: [NewJob], alongside: @escaping @Sendable (Transaction) throws -> Void = { _ in })
        async throws -> [EnqueuedJob] {
        for job in newJobs { try Self.validate(job, registry: registry) }
        let registry = self.registry
        let now = clock.now()
        let attempts = newJobs.map { $0.maxAttempts ?? registry.options(for: $0.kind)?.retry.maxAttempts ?? 1 }
        let jobs = self.jobs
        let enqueued = try await backend.write { tx in
            try alongside(tx)
            return try jobs.enqueue(newJobs, maxAttempts: attempts, now: now, in: tx)
        }
        if enqueued.contains(where: \.created) { pool.workArrived() }
        return enqueued
    }

    /// Enqueues jobs inside the caller's transaction (they commit with its other writes, or not
    /// at all). Call `workArrived()` once that transaction committed, so idle workers look now.
    @discardableResult
    public func enqueue(_ newJobs: [NewJob], now: Date, in tx: Transaction) throws -> [EnqueuedJob] {
        for job in newJobs { try Self.validate(job, registry: registry) }
        let attempts = newJobs.map { $0.maxAttempts ?? registry.options(for: $0.kind)?.retry.maxAttempts ?? 1 }
        return try jobs.enqueue(newJobs, maxAttempts: attempts, now: now, in: tx)
    }

    /// Wakes idle workers: jobs were committed by `enqueue(_:now:in:)`.
    public func workArrived() { pool.workArrived() }

    static func validate(_ job: NewJob, registry: JobRegistry) throws {
        guard registry[job.kind] != nil else {
            throw RuntimeError(.unknownJobKind, "no handler is registered for job kind '\(job.kind)'")
        }
        guard !job.tenant.isEmpty, job.tenant.utf8.count <= 200 else {
            throw RuntimeError(.invalidJob, "tenant must be 1–200 bytes")
        }
        guard (-1_000...1_000).contains(job.priority) else {
            throw RuntimeError(.invalidJob, "priority must be from -1000 to 1000")
        }
        if let attempts = job.maxAttempts, !(1...1_000).contains(attempts) {
            throw RuntimeError(.invalidJob, "maxAttempts must be from 1 to 1000")
        }
        if let key = job.uniqueKey, key.isEmpty || key.utf8.count > 512 {
            throw RuntimeError(.invalidJob, "uniqueKey must be 1–512 bytes")
        }
        guard !job.payload.isEmpty, job.payload.count <= 1 << 20 else {
            throw RuntimeError(.invalidJob, "payload must be 1 byte to 1 MiB of JSON")
        }
    }

    // MARK: Inline work

    /// Inserts `job` running its first attempt and leased to this process, inside the caller's
    /// transaction (with its reservation, say). Run it with `runInline`, then record its outcome
    /// with `complete(_:_:now:in:)`; if the process dies in between, the job is recovered like any
    /// leased job. With a unique key that exists, the existing job comes back (`created` false).
    public func insertRunning(_ job: NewJob, now: Date, in tx: Transaction) throws -> EnqueuedJob {
        try Self.validate(job, registry: registry)
        let attempts = job.maxAttempts ?? registry.options(for: job.kind)?.retry.maxAttempts ?? 1
        return try jobs.insertRunning(job, maxAttempts: attempts, owner: owner,
                                      leaseUntil: now.addingTimeInterval(pool.leaseDuration.timeInterval), now: now, in: tx)
    }

    /// Runs the attempt of a job made by `insertRunning` in the caller's own task, within the
    /// worker pool's budget: its lease is renewed while it runs, and a cancel, the kind's timeout
    /// or a shutdown stop it (see `InlineAttempt.Stop`). Nothing is recorded: the caller does.
    public func runInline<Value: Sendable>(_ job: JobRecord, _ body: (JobContext) async throws -> Value) async -> InlineAttempt<Value> {
        await pool.runInline(job, body)
    }

    /// Records the outcome of an inline attempt inside the caller's transaction (with its
    /// settlement). Ignored if the job is no longer this process's (its lease was lost).
    public func complete(_ job: JobRecord, _ outcome: JobCompletion.Outcome, now: Date, in tx: Transaction) throws {
        try jobs.complete([JobCompletion(id: job.id, owner: owner, outcome: outcome, recoveries: job.recoveries)], now: now, in: tx)
    }

    /// Tells `onJobFinished` (metrics) that an inline attempt ended; call it once its outcome committed.
    public func inlineFinished(_ job: JobRecord, _ outcome: JobCompletion.Outcome) { pool.observe(job, outcome) }

    /// Cancels a job: a queued job never starts; a running job's task is cancelled.
    public func cancel(_ id: JobID, tenant: String? = nil) async throws -> CancelOutcome {
        let outcome = try await jobs.cancel(id, tenant: tenant, now: clock.now())
        if outcome == .cancelling { pool.stop(id, reason: .cancelRequested) }
        return outcome
    }

    /// Puts a failed or dead job back in the queue with one more attempt, and wakes the workers.
    public func retry(_ id: JobID) async throws -> RetryOutcome {
        let outcome = try await jobs.retry(id, now: clock.now())
        if outcome == .retried { pool.workArrived() }
        return outcome
    }

    /// One job, or nil (also for another tenant's job when `tenant` is given).
    public func job(_ id: JobID, tenant: String? = nil) async throws -> JobRecord? {
        try await jobs.job(id, tenant: tenant)
    }

    /// Requeues jobs whose worker vanished (also done at start and periodically by `run`).
    public func recoverExpiredLeases() async {
        await pool.recoverExpiredLeases()
    }

    /// Deletes finished jobs past the configured retention (also done periodically by `run`).
    public func purgeFinishedJobs() async {
        await pool.purgeFinishedJobs(now: clock.now())
    }

    // MARK: Lifecycle

    /// Runs the workers and the scheduler until a graceful shutdown (or `shutdown()`), then
    /// drains and returns. Cancelling the task drains too, releasing unfinished jobs at once.
    public func run() async throws {
        phase.withLock { if $0 == .opened { $0 = .running } }
        defer { phase.withLock { $0 = .stopped } }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.scheduler.run() }
                    group.addTask { await self.reconcileHoldsPeriodically() }
                    group.addTask { [pool] in await self.backend.watchForWork { pool.workArrived() } }
                    await self.pool.run()
                    group.cancelAll()
                }
            } onCancel: {
                self.shutdown()
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
    }

    /// How often `run` closes the wallet holds of finished jobs that a process which never came
    /// back left open (with several instances on one database, a dead one may not restart to do it).
    public static let holdReconcileInterval: Duration = .seconds(30)

    private func reconcileHoldsPeriodically() async {
        let jobs = self.jobs
        while !Task.isCancelled {
            do { try await clock.sleep(until: clock.now().addingTimeInterval(Self.holdReconcileInterval.timeInterval)) } catch { return }
            do {
                let reconciled = try await wallets.reconcile(job: { try await jobs.job($0, tenant: nil) })
                if reconciled != (0, 0) {
                    pool.logger.warning("closed wallet holds left by a process that is gone",
                                        metadata: ["settled": "\(reconciled.settled)", "released": "\(reconciled.released)"])
                }
            } catch {
                pool.logger.error("reconciling wallet holds failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Begins a graceful shutdown of `run`.
    public func shutdown() {
        phase.withLock { if $0 != .stopped { $0 = .stopping } }
        pool.beginShutdown()
    }

    /// Closes the database; call after `run` returned.
    public func close() async { await backend.close() }
}
