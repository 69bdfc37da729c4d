import Foundation
import Logging
import Synchronization
import Tracing

/// Claims due jobs in batches and runs them as children of one structured task group, with
/// at most `maxInFlight` running (and each kind's `maxConcurrency`). It renews the leases of
/// what it runs, recovers jobs whose workers vanished, enforces per-kind timeouts, and on
/// shutdown stops claiming, lets jobs finish within the grace period, then releases the rest.
///
/// A pause longer than the lease (`kill -STOP`, a stalled host) loses leases cleanly: an
/// attempt whose lease lapsed (`JobLease`) never records a failure or a timeout — it is
/// requeued without using an attempt — and one whose job the store gave to another worker
/// meanwhile is stopped and records nothing. Completions carry the lease's generation (the
/// job's recovery count), so a stale attempt's word never overwrites a newer lease's.
final class WorkerPool: Sendable {
    let owner: String
    private let store: any JobStore
    private let registry: JobRegistry
    private let clock: any WallClock
    private let configuration: WorkerConfiguration
    let logger: Logger
    private let observer: @Sendable (JobRecord, JobCompletion.Outcome) -> Void

    private struct Running {
        let control: JobControl
        let kind: String
        let deadline: Date
        let lease: JobLease
    }

    private struct State {
        var running: [JobID: Running] = [:]
        var perKind: [String: Int] = [:]
        var stopping = false
        /// Outcomes waiting for the flusher's next write.
        var outcomes: [(JobRecord, JobCompletion.Outcome)] = []
        var flusherDone = false
        /// The free slots the claim loop waits for before it claims again.
        var claimWhenFree = 1
    }

    private let state = Mutex(State())
    /// Wakes the claim loop: work arrived, a slot freed, or shutdown began.
    private let wake = WakeSignal()
    /// Wakes the shutdown drain when a job ends.
    private let jobEnded = WakeSignal()
    /// Wakes the flusher when outcomes are waiting.
    private let outcomesWaiting = WakeSignal()

    init(store: any JobStore, registry: JobRegistry, clock: any WallClock, configuration: WorkerConfiguration,
         owner: String, logger: Logger, observer: @escaping @Sendable (JobRecord, JobCompletion.Outcome) -> Void) {
        self.store = store
        self.registry = registry
        self.clock = clock
        self.configuration = configuration
        self.owner = owner
        self.logger = logger
        self.observer = observer
    }

    /// New work may be due: claim now rather than at the next timer.
    func workArrived() { wake.signal() }

    /// Stops claiming; `run` returns once in-flight jobs have finished or been released.
    func beginShutdown() {
        state.withLock { $0.stopping = true }
        wake.signal()
    }

    /// Stops a job this pool is running, if it is running here.
    func stop(_ id: JobID, reason: JobControl.StopReason) {
        state.withLock { $0.running[id]?.control }?.stop(reason)
    }

    /// Jobs whose handler runs or whose outcome is not yet written.
    var inFlightCount: Int { state.withLock { $0.running.count + $0.outcomes.count } }

    /// Runs until `beginShutdown` and the drain that follows it.
    func run() async {
        await recoverExpiredLeases()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.housekeeping() }
            group.addTask { await self.flushOutcomes() }
            await claimLoop(&group)
            await drain()
            state.withLock { $0.flusherDone = true }
            outcomesWaiting.signal()
            group.cancelAll()
        }
    }

    // MARK: Claiming

    private func claimLoop(_ group: inout DiscardingTaskGroup) async {
        var backlog = false
        while true {
            let (stopping, free, budgets) = state.withLock { state in
                (state.stopping, configuration.maxInFlight - state.running.count, kindBudgets(state))
            }
            if stopping || Task.isCancelled { return }
            let needed = backlog ? configuration.claimThreshold : 1
            if free < needed {
                state.withLock { $0.claimWhenFree = needed }
                await wake.wait()
                continue
            }
            let now = clock.now()
            let request = ClaimRequest(owner: owner, limit: free, now: now,
                                       leaseUntil: now.addingTimeInterval(configuration.leaseDuration.timeInterval),
                                       kindBudgets: budgets, tenantWeight: configuration.tenantWeight)
            state.withLock { $0.claimWhenFree = 1 }
            let result: ClaimResult
            do {
                result = try await store.claim(request)
            } catch {
                logger.error("claiming jobs failed; retrying in 1 s", metadata: ["error": "\(error)"])
                await wake.wait(until: clock.now().addingTimeInterval(1), clock: clock)
                continue
            }
            for job in result.jobs { start(job, in: &group, now: now) }
            backlog = result.jobs.count == free
            if !backlog {
                // Work another instance queued wakes this pool through the backend; the recheck
                // covers a wake-up that was missed.
                let recheck = configuration.idleRecheck.map { clock.now().addingTimeInterval($0.timeInterval) }
                let until = [result.nextRunAt, recheck].compactMap { $0 }.min()
                await wake.wait(until: until, clock: clock)
            }
        }
    }

    private func kindBudgets(_ state: State) -> [String: Int] {
        var budgets: [String: Int] = [:]
        for (kind, handler) in registry.handlers {
            if let limit = handler.options.maxConcurrency { budgets[kind] = limit - state.perKind[kind, default: 0] }
        }
        return budgets
    }

    private func start(_ job: JobRecord, in group: inout DiscardingTaskGroup, now: Date) {
        guard let handler = registry[job.kind] else {
            // Enqueue refuses unknown kinds, so this is a job written by another build.
            let control = JobControl()
            register(job, Running(control: control, kind: job.kind, deadline: now, lease: lease(of: job, now: now)))
            finish(job, .failed(error: "no handler is registered for kind '\(job.kind)'"), control: control)
            return
        }
        let control = JobControl()
        let deadline = now.addingTimeInterval(handler.options.timeout.timeInterval)
        let lease = lease(of: job, now: now)
        register(job, Running(control: control, kind: job.kind, deadline: deadline, lease: lease))
        group.addTask { await self.execute(job, handler: handler, control: control, lease: lease) }
    }

    private func lease(of job: JobRecord, now: Date) -> JobLease {
        JobLease(expiresAt: job.leaseExpiresAt ?? now.addingTimeInterval(configuration.leaseDuration.timeInterval), clock: clock)
    }

    /// Takes a slot for the job. An older attempt of the same job still running here (its lease
    /// lapsed, the job was recovered and claimed again) is stopped: the new lease owns the job.
    private func register(_ job: JobRecord, _ running: Running) {
        let older = state.withLock { state -> JobControl? in
            let older = state.running.updateValue(running, forKey: job.id)
            if older == nil { state.perKind[job.kind, default: 0] += 1 }
            return older?.control
        }
        older?.stop(.leaseLost)
    }

    // MARK: Running inline

    /// Tells the observer an attempt run inline ended (after its outcome committed).
    func observe(_ job: JobRecord, _ outcome: JobCompletion.Outcome) { observer(job, outcome) }

    /// How long a lease lasts before it must be renewed.
    var leaseDuration: Duration { configuration.leaseDuration }

    /// Runs `body` as the attempt of `job` — inserted running and leased to this pool's owner by
    /// the caller — in the caller's own task. While it runs it takes a slot of the pool's
    /// budget, its lease is renewed with the others, and a cancel, its kind's timeout or a
    /// shutdown stop it as they stop a claimed job. The caller records the outcome itself, in
    /// the transaction that also settles what the attempt charged.
    func runInline<Value: Sendable>(_ job: JobRecord, _ body: (JobContext) async throws -> Value) async -> InlineAttempt<Value> {
        let now = clock.now()
        let control = JobControl()
        let timeout = registry[job.kind]?.options.timeout ?? .seconds(300)
        let lease = lease(of: job, now: now)
        register(job, Running(control: control, kind: job.kind, deadline: now.addingTimeInterval(timeout.timeInterval), lease: lease))
        if state.withLock({ $0.stopping }) { control.stop(.shutdown) }
        let context = JobContext(id: job.id, tenant: job.tenant, kind: job.kind, attempt: job.attempts, maxAttempts: job.maxAttempts,
                                 batchID: job.batchID, uniqueKey: job.uniqueKey, clock: clock, logger: logger, lease: lease)
        // In the caller's task, so the span is a child of its request's.
        let result = await withSpan("job \(job.kind)", ofKind: .internal) { span in
            span.attributes["switchboard.job.id"] = "\(job.id)"
            span.attributes["switchboard.job.kind"] = job.kind
            let result = await control.run { try await body(context) }
            if case .failure = result { span.setStatus(SpanStatus(code: .error)) }
            return result
        }
        let lapsed = lease.check(now: clock.now())
        let freed = state.withLock { state -> Bool in
            guard state.running[job.id]?.control === control else { return false }
            state.running.removeValue(forKey: job.id)
            state.perKind[job.kind, default: 1] -= 1
            return configuration.maxInFlight - state.running.count >= state.claimWhenFree
        }
        jobEnded.signal()
        if freed { wake.signal() }
        let stop: InlineAttempt<Value>.Stop? = switch control.stopReason {
        case .cancelRequested?: .cancelled
        case .timeout?: .timedOut
        case .shutdown?: .shutdown
        case .leaseLost?: .leaseLost
        case nil: lapsed ? .leaseLost : nil
        }
        return InlineAttempt(result: result, stop: stop)
    }

    // MARK: Running

    /// One attempt in a span of its own that continues the trace of the request that enqueued
    /// the job (`JobRecord.traceparent`), so what the handler calls (providers, webhooks) joins it.
    private func execute(_ job: JobRecord, handler: RegisteredHandler, control: JobControl, lease: JobLease) async {
        await withSpan("job \(job.kind)", context: TraceParent.context(job.traceparent), ofKind: .consumer) { span in
            span.attributes["switchboard.job.id"] = "\(job.id)"
            span.attributes["switchboard.job.kind"] = job.kind
            span.attributes["switchboard.job.attempt"] = job.attempts
            let outcome = await attempt(job, handler: handler, control: control, lease: lease)
            span.attributes["switchboard.job.outcome"] = outcome.map(JobSpan.outcomeName) ?? "lease_lost"
            if let outcome, JobSpan.isFailure(outcome) { span.setStatus(SpanStatus(code: .error)) }
            finish(job, outcome, control: control)
        }
    }

    private func attempt(_ job: JobRecord, handler: RegisteredHandler, control: JobControl, lease: JobLease) async
        -> JobCompletion.Outcome? {
        let context = JobContext(id: job.id, tenant: job.tenant, kind: job.kind, attempt: job.attempts,
                                 maxAttempts: job.maxAttempts, batchID: job.batchID, uniqueKey: job.uniqueKey,
                                 clock: clock, logger: logger, lease: lease)
        let payload = job.payload
        let result = await control.run { try await handler.execute(payload, context) }
        let lapsed = lease.check(now: clock.now())
        let outcome: JobCompletion.Outcome?
        switch (result, control.stopReason) {
        case (_, .leaseLost?):
            // Another worker holds the job now; whatever this attempt did, its word does not count.
            outcome = nil
        case (_, .shutdown?):
            outcome = (try? result.get()).map { .succeeded(result: $0) } ?? .released
        case (.success(let output), _):
            outcome = .succeeded(result: output)
        case (.failure, .cancelRequested?):
            outcome = .cancelled
        case (.failure, _) where lapsed:
            // The lease (and maybe the deadline) ran out while the process was stopped: that is
            // no failure of the job. Run it again, without using an attempt.
            logger.warning("an attempt's lease lapsed (the process was paused or starved); requeueing it",
                           metadata: ["job": "\(job.id)", "kind": "\(job.kind)"])
            outcome = .released
        case (.failure, .timeout?):
            outcome = failed(job, options: handler.options, message: "timed out after \(handler.options.timeout)")
        case (.failure, nil) where Task.isCancelled:
            // The whole pool was cancelled (not a graceful shutdown): give the job back.
            outcome = .released
        case (.failure(let error as JobFailure), nil):
            switch error.action {
            case .snooze(let delay): outcome = .snoozed(until: clock.now().addingTimeInterval(delay.timeInterval))
            case .permanent: outcome = .failed(error: error.message)
            }
        case (.failure(let error), nil):
            outcome = failed(job, options: handler.options, message: String(describing: error))
        }
        return outcome
    }

    /// A retryable failure: retry with backoff while attempts remain, else `dead`.
    private func failed(_ job: JobRecord, options: JobKindOptions, message: String) -> JobCompletion.Outcome {
        guard job.attempts < job.maxAttempts else {
            return .dead(error: "\(message) (attempt \(job.attempts) of \(job.maxAttempts))")
        }
        var random = SystemRandomNumberGenerator()
        let delay = options.retry.delay(beforeRetry: job.attempts, using: &random)
        return .retry(at: clock.now().addingTimeInterval(delay.timeInterval), error: message)
    }

    /// Frees the job's slot and hands its outcome to the flusher. The slot counts running
    /// handlers; the write that follows overlaps the next claim in the same group commit.
    /// A nil outcome records nothing (the attempt lost its lease to another worker).
    private func finish(_ job: JobRecord, _ outcome: JobCompletion.Outcome?, control: JobControl) {
        let claimNow = state.withLock { state -> Bool in
            if let outcome { state.outcomes.append((job, outcome)) }
            if state.running[job.id]?.control === control {
                state.running.removeValue(forKey: job.id)
                state.perKind[job.kind, default: 1] -= 1
            }
            return configuration.maxInFlight - state.running.count >= state.claimWhenFree
        }
        if outcome != nil { outcomesWaiting.signal() } else { jobEnded.signal() }
        if claimNow { wake.signal() }
    }

    /// Writes finished jobs' outcomes, all that are waiting in one store call (so one group
    /// commit holds many completions), then frees their slots. Runs until told it is done.
    private func flushOutcomes() async {
        while true {
            await outcomesWaiting.waitIgnoringCancellation()
            let (batch, done) = state.withLock { state in
                defer { state.outcomes.removeAll(keepingCapacity: true) }
                return (state.outcomes, state.flusherDone)
            }
            if !batch.isEmpty { await write(batch) }
            if done { return }
        }
    }

    private func write(_ batch: [(JobRecord, JobCompletion.Outcome)]) async {
        let completions = batch.map { JobCompletion(id: $0.0.id, owner: owner, outcome: $0.1, recoveries: $0.0.recoveries) }
        for attempt in 1...3 {
            do {
                try await store.complete(completions, now: clock.now())
                break
            } catch {
                // Once the slot is freed the lease is no longer renewed, so a job whose outcome
                // could not be written is recovered later and runs again.
                logger.error("recording job outcomes failed", metadata: ["jobs": "\(batch.count)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(50 * attempt))
            }
        }
        for (job, outcome) in batch { observer(job, outcome) }
        jobEnded.signal()
        // A retried, snoozed or released job has a new due time the claim loop may not know:
        // it may have looked for work before this write and be waiting with no timer.
        if batch.contains(where: { $0.1.requeues }) { wake.signal() }
    }

    // MARK: Housekeeping

    /// Heartbeats, lease recovery and timeouts, until the task group is cancelled.
    private func housekeeping() async {
        let tick = min(configuration.heartbeatInterval, .seconds(1))
        var nextHeartbeat = clock.now().addingTimeInterval(configuration.heartbeatInterval.timeInterval)
        var nextRecovery = clock.now().addingTimeInterval(configuration.recoveryInterval.timeInterval)
        while !Task.isCancelled {
            do { try await clock.sleep(until: clock.now().addingTimeInterval(tick.timeInterval)) } catch { return }
            let now = clock.now()
            let (overdue, attempts, expired) = state.withLock { state in
                (state.running.values.filter { $0.deadline <= now }.map(\.control), state.running.mapValues(\.control),
                 state.running.values.contains { $0.lease.expired(now: now) })
            }
            // Leases that ran out (the process was paused) lapse for good before anything else
            // looks at them: their attempts may then end without counting as failures.
            state.withLock { state in for running in state.running.values { running.lease.check(now: now) } }
            for control in overdue { control.stop(.timeout) }
            // Renew at once after a lapse, before this pass recovers expired leases, so the
            // process keeps (rather than requeues under itself) what nobody else has taken.
            if now >= nextHeartbeat || expired {
                nextHeartbeat = now.addingTimeInterval(configuration.heartbeatInterval.timeInterval)
                await renewLeases(attempts, now: now)
            }
            if now >= nextRecovery {
                nextRecovery = now.addingTimeInterval(configuration.recoveryInterval.timeInterval)
                await recoverExpiredLeases()
                await purgeFinishedJobs(now: now)
            }
        }
    }

    /// Renews the leases of `attempts` (a snapshot of what runs). An attempt the store did not
    /// renew while it still runs here, after its lease lapsed, lost its job to another worker:
    /// it is stopped and records nothing. Each check is against the very attempt of the snapshot,
    /// never a later attempt of the same job.
    private func renewLeases(_ attempts: [JobID: JobControl], now: Date) async {
        guard !attempts.isEmpty else { return }
        do {
            let until = now.addingTimeInterval(configuration.leaseDuration.timeInterval)
            let renewal = try await store.renewLeases(owner: owner, ids: Array(attempts.keys), until: until)
            let renewed = Set(renewal.renewed)
            let (leases, lost) = state.withLock { state -> ([JobLease], [(JobControl, JobLease)]) in
                var leases: [JobLease] = [], lost: [(JobControl, JobLease)] = []
                for (id, control) in attempts {
                    guard let running = state.running[id], running.control === control else { continue }
                    if renewed.contains(id) { leases.append(running.lease) } else { lost.append((control, running.lease)) }
                }
                return (leases, lost)
            }
            for lease in leases { lease.renewed(until: until) }
            for (control, lease) in lost where lease.check(now: now) { control.stop(.leaseLost) }
            for id in renewal.cancelRequested { stop(id, reason: .cancelRequested) }
        } catch {
            logger.error("renewing leases failed", metadata: ["error": "\(error)"])
        }
    }

    func recoverExpiredLeases() async {
        do {
            let report = try await store.recoverExpiredLeases(now: clock.now(), maxRecoveries: configuration.maxRecoveries)
            if !report.isEmpty {
                logger.warning("recovered jobs whose worker was lost", metadata: [
                    "requeued": "\(report.requeued.count)", "dead": "\(report.dead.count)", "cancelled": "\(report.cancelled.count)",
                ])
                wake.signal()
            }
        } catch {
            logger.error("recovering expired leases failed", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes finished jobs past their retention, a bounded batch per pass.
    func purgeFinishedJobs(now: Date) async {
        guard let retention = configuration.finishedJobRetention else { return }
        do {
            let purged = try await store.purgeFinished(createdBefore: now.addingTimeInterval(-retention.timeInterval), limit: 10_000)
            if purged > 0 { logger.info("purged finished jobs past retention", metadata: ["count": "\(purged)"]) }
        } catch {
            logger.error("purging finished jobs failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Shutdown

    /// Waits for in-flight jobs for the grace period, then stops the rest (they are released).
    private func drain() async {
        let graceEnds = clock.now().addingTimeInterval(configuration.shutdownGrace.timeInterval)
        while inFlightCount > 0 && clock.now() < graceEnds && !Task.isCancelled {
            await jobEnded.wait(until: graceEnds, clock: clock)
        }
        let remaining = state.withLock { $0.running.values.map(\.control) }
        if !remaining.isEmpty {
            logger.info("shutdown grace over; releasing unfinished jobs", metadata: ["count": "\(remaining.count)"])
        }
        for control in remaining { control.stop(.shutdown) }
        while inFlightCount > 0 { await jobEnded.waitIgnoringCancellation() }
    }
}
