import Foundation
import Testing
@testable import Runtime

/// The worker pool end to end: real store, real pool, a test clock.
@Suite("Worker pool")
struct WorkerPoolTests {
    @Test("a job runs once and its result is stored")
    func success() async throws {
        let harness = try await TestHarness()
        let running = harness.start()
        let job = try await harness.enqueue(.succeed, label: "hello")
        let (id, outcome) = await harness.nextFinished()
        #expect(id == job.id && outcome.name == "succeeded")
        let stored = try await harness.job(job.id)
        #expect(stored.state == .succeeded && stored.attempts == 1)
        #expect(try JSONDecoder().decode(ScriptedJob.Output.self, from: try #require(stored.result)) == .init(label: "hello"))
        harness.runtime.shutdown()
        try await running.value
        #expect(harness.log.labels == ["hello"])
    }

    @Test("failed attempts back off exponentially with jitter, then the job goes dead")
    func backoffThenDead() async throws {
        let harness = try await TestHarness()
        let running = harness.start()
        let job = try await harness.enqueue(.fail)
        // Base 1 s, doubling: retry 1 waits 0.5–1 s, retry 2 waits 1–2 s.
        for (retry, step) in [(1, 1.0), (2, 2.0)] {
            let (_, outcome) = await harness.nextFinished()
            guard case .retry(let at, let error) = outcome else { Issue.record("expected a retry, got \(outcome)"); return }
            let wait = at.timeIntervalSince(harness.clock.now())
            #expect(wait >= step / 2 - 0.001 && wait <= step + 0.001, "retry \(retry) waits \(wait) s")
            #expect(error.contains("scripted failure"))
            let stored = try await harness.job(job.id)
            #expect(stored.state == .scheduled && stored.attempts == retry)
            harness.clock.advance(to: at)
        }
        let (_, last) = await harness.nextFinished()
        #expect(last.name == "dead")
        let stored = try await harness.job(job.id)
        #expect(stored.state == .dead && stored.attempts == 3 && stored.finishedAt != nil)
        #expect(stored.lastError?.contains("attempt 3 of 3") == true)
        #expect(harness.log.attempts == [1, 2, 3])
        harness.runtime.shutdown()
        try await running.value
    }

    @Test("a snoozed job runs again later without using an attempt")
    func snoozeKeepsAttempts() async throws {
        let harness = try await TestHarness()
        let running = harness.start()
        let job = try await harness.enqueue(.snooze, maxAttempts: 1)
        let (_, outcome) = await harness.nextFinished()
        #expect(outcome.name == "snoozed")
        var stored = try await harness.job(job.id)
        #expect(stored.state == .scheduled && stored.attempts == 0)
        #expect(stored.runAt.timeIntervalSince(harness.clock.now()) == 30)
        harness.clock.advance(by: .seconds(30))
        _ = await harness.nextFinished()
        stored = try await harness.job(job.id)
        #expect(stored.attempts == 0, "snoozing twice still used no attempt (maxAttempts is 1)")
        #expect(harness.log.attempts == [1, 1])
        harness.runtime.shutdown()
        try await running.value
    }

    @Test("a permanent failure is not retried")
    func permanentFailure() async throws {
        let harness = try await TestHarness()
        let running = harness.start()
        let job = try await harness.enqueue(.permanent)
        #expect(await harness.nextFinished().1.name == "failed")
        let stored = try await harness.job(job.id)
        #expect(stored.state == .failed && stored.attempts == 1 && stored.lastError == "bad input")
        harness.runtime.shutdown()
        try await running.value
    }

    @Test("a cancelled queued job never starts")
    func cancelQueued() async throws {
        let harness = try await TestHarness()
        let later = harness.clock.now().addingTimeInterval(60)
        let job = try await harness.enqueue(.succeed, label: "cancelled", runAt: later)
        #expect(try await harness.runtime.cancel(job.id) == .cancelled)
        let running = harness.start()
        harness.clock.advance(by: .seconds(61))
        let witness = try await harness.enqueue(.succeed, label: "witness")
        let (id, _) = await harness.nextFinished()
        #expect(id == witness.id)
        #expect(harness.log.labels == ["witness"])
        #expect(try await harness.job(job.id).state == .cancelled)
        harness.runtime.shutdown()
        try await running.value
    }

    @Test("cancelling a running job cancels its task")
    func cancelRunning() async throws {
        let harness = try await TestHarness()
        let running = harness.start()
        let job = try await harness.enqueue(.block)
        _ = await harness.nextStarted()
        #expect(try await harness.runtime.cancel(job.id, tenant: "t1") == .cancelling)
        #expect(await harness.nextFinished().1.name == "cancelled")
        let stored = try await harness.job(job.id)
        #expect(stored.state == .cancelled && stored.finishedAt != nil)
        harness.runtime.shutdown()
        try await running.value
    }

    @Test("an attempt that runs past its kind's timeout is cancelled and retried")
    func timeout() async throws {
        let harness = try await TestHarness(options: JobKindOptions(retry: .exponentialJitter(maxAttempts: 2), timeout: .seconds(10)))
        let running = harness.start()
        let job = try await harness.enqueue(.block)
        _ = await harness.nextStarted()
        harness.clock.advance(by: .seconds(11))
        let (_, outcome) = await harness.nextFinished()
        guard case .retry(_, let error) = outcome else { Issue.record("expected a retry, got \(outcome)"); return }
        #expect(error.contains("timed out"))
        #expect(try await harness.job(job.id).attempts == 1)
        harness.runtime.shutdown()
        try await running.value
    }

    @Test("a pause longer than the lease: the attempt that fails after it is requeued without using an attempt, not failed")
    func pauseLongerThanLease() async throws {
        let harness = try await TestHarness(options: JobKindOptions(retry: .exponentialJitter(maxAttempts: 1)))
        let running = harness.start()
        let job = try await harness.enqueue(.gateThenFail, label: "paused")
        _ = await harness.nextStarted()
        harness.clock.advance(by: .seconds(70))  // kill -STOP for 70 s, then -CONT
        harness.log.gate.signal()
        let (id, outcome) = await harness.nextFinished()
        #expect(id == job.id && outcome.name == "released", "got \(outcome)")
        #expect(harness.log.lapsesSeen == [true], "the handler could tell its lease had lapsed")
        _ = await harness.nextStarted()
        #expect(harness.log.attempts == [1, 1], "the rerun is still the first attempt")
        harness.log.gate.signal()
        #expect(await harness.nextFinished().1.name == "dead", "a failure with a sound lease still counts")
        let stored = try await harness.job(job.id)
        #expect(stored.state == .dead && stored.attempts == 1)
        #expect(harness.log.lapsesSeen == [true, false])
        harness.runtime.shutdown()
        try await running.value
    }

    @Test("a deadline that passes during a pause longer than the lease is not a timeout: the job is requeued")
    func deadlineDuringPause() async throws {
        let harness = try await TestHarness(options: JobKindOptions(retry: .exponentialJitter(maxAttempts: 2), timeout: .seconds(60)),
                                            workers: WorkerConfiguration(maxInFlight: 4, shutdownGrace: .zero))
        let running = harness.start()
        let job = try await harness.enqueue(.block)
        _ = await harness.nextStarted()
        harness.clock.advance(by: .seconds(70))
        let (_, outcome) = await harness.nextFinished()
        #expect(outcome.name == "released", "got \(outcome)")
        _ = await harness.nextStarted()
        #expect(try await harness.job(job.id).attempts == 1, "only the rerun counts")
        harness.runtime.shutdown()
        try await running.value
        #expect(try await harness.job(job.id).recoveries == 0, "the process kept its own job: nothing recovered it")
    }

    @Test("shutdown lets an in-flight job finish within the grace period")
    func shutdownFinishesInFlight() async throws {
        let harness = try await TestHarness()
        let running = harness.start()
        let job = try await harness.enqueue(.gate)
        _ = await harness.nextStarted()
        harness.runtime.shutdown()
        harness.log.gate.signal()
        try await running.value
        #expect(try await harness.job(job.id).state == .succeeded)
    }

    @Test("shutdown releases jobs still running after the grace period, without using an attempt")
    func shutdownReleasesUnfinished() async throws {
        let harness = try await TestHarness(workers: WorkerConfiguration(maxInFlight: 4, shutdownGrace: .zero))
        let running = harness.start()
        let job = try await harness.enqueue(.block)
        _ = await harness.nextStarted()
        harness.runtime.shutdown()
        try await running.value
        let stored = try await harness.job(job.id)
        #expect(stored.state == .queued && stored.attempts == 0 && stored.leaseOwner == nil)
    }

    @Test("after a crash mid-job, a new runtime on the same file recovers and runs the job")
    func crashRecovery() async throws {
        let directory = TemporaryDirectory()
        // The first runtime's clock never moves, so it never renews its lease: as if killed.
        let crashed = try await TestHarness(directory: directory, clock: TestClock(now: Date(timeIntervalSince1970: 1_800_000_000)),
                                            owner: "crashed")
        let abandoned = crashed.start()
        let job = try await crashed.enqueue(.gate, label: "survivor")
        _ = await crashed.nextStarted()
        #expect(try await crashed.job(job.id).leaseOwner == "crashed")

        let later = TestClock(now: Date(timeIntervalSince1970: 1_800_000_031))
        let recovered = try await TestHarness(directory: directory, clock: later, owner: "recovered")
        let running = recovered.start()
        recovered.log.gate.signal()
        let (id, outcome) = await recovered.nextFinished()
        #expect(id == job.id && outcome.name == "succeeded")
        let stored = try await recovered.job(job.id)
        #expect(stored.state == .succeeded && stored.recoveries == 1 && stored.attempts == 1)
        recovered.runtime.shutdown()
        try await running.value
        abandoned.cancel()
        crashed.log.gate.signal()
        _ = try? await abandoned.value
        #expect(try await recovered.job(job.id).state == .succeeded, "the lost worker's late word is ignored")
    }

    @Test("at most the configured number of jobs run at once")
    func boundedInFlight() async throws {
        let harness = try await TestHarness(workers: WorkerConfiguration(maxInFlight: 3, shutdownGrace: .seconds(5)))
        let running = harness.start()
        for index in 0..<5 { _ = try await harness.enqueue(.gate, label: "\(index)") }
        for _ in 0..<3 { _ = await harness.nextStarted() }
        #expect(harness.log.labels.count == 3)
        harness.log.gate.signal()
        _ = await harness.nextFinished()
        _ = await harness.nextStarted()
        #expect(harness.log.labels.count == 4, "one finished, one more started")
        harness.runtime.shutdown()
        for _ in 0..<4 { harness.log.gate.signal() }
        try await running.value
        #expect(harness.log.labels.count == 4, "no job starts after shutdown began")
    }

    @Test("finished jobs past their retention are purged; unfinished ones are kept")
    func retention() async throws {
        let harness = try await TestHarness(workers: WorkerConfiguration(maxInFlight: 4, finishedJobRetention: .seconds(3600)))
        let running = harness.start()
        let done = try await harness.enqueue(.succeed)
        _ = await harness.nextFinished()
        let waiting = try await harness.enqueue(.succeed, runAt: harness.clock.now().addingTimeInterval(86_400))
        harness.clock.advance(by: .seconds(3599))
        await harness.runtime.purgeFinishedJobs()
        #expect(try await harness.runtime.job(done.id) != nil, "not yet past retention")
        harness.clock.advance(by: .seconds(2))
        await harness.runtime.purgeFinishedJobs()
        #expect(try await harness.runtime.job(done.id) == nil)
        #expect(try await harness.runtime.job(waiting.id)?.state == .scheduled)
        harness.runtime.shutdown()
        try await running.value
    }

    @Test("enqueue refuses unknown kinds and out-of-range fields with a clear error")
    func enqueueValidation() async throws {
        let harness = try await TestHarness()
        let cases: [(NewJob, RuntimeError.Code)] = [
            (NewJob(kind: "nope", tenant: "t"), .unknownJobKind),
            (NewJob(kind: ScriptedJob.kind, tenant: ""), .invalidJob),
            (NewJob(kind: ScriptedJob.kind, tenant: "t", priority: 5_000), .invalidJob),
            (NewJob(kind: ScriptedJob.kind, tenant: "t", maxAttempts: 0), .invalidJob),
            (NewJob(kind: ScriptedJob.kind, tenant: "t", uniqueKey: ""), .invalidJob),
            (NewJob(kind: ScriptedJob.kind, tenant: "t", payload: Data()), .invalidJob),
        ]
        for (job, code) in cases {
            let error = await #expect(throws: RuntimeError.self) { try await harness.runtime.enqueue(job) }
            #expect(error?.code == code)
        }
        #expect(try await harness.runtime.jobs.countByState().isEmpty, "nothing was written")
    }
}
