import Foundation
import Testing
@testable import Runtime

/// The queue's storage rules, driven directly (no worker pool) on a test clock, on every backend.
@Suite("Job store")
struct JobStoreTests {
    let clock = TestClock()

    func job(_ tenant: String, priority: Int = 0, key: String? = nil, label: String = "") -> NewJob {
        NewJob(kind: "k", tenant: tenant, payload: Data("{\"label\":\"\(label)\"}".utf8), priority: priority, uniqueKey: key)
    }

    func enqueue(_ store: any JobStore, _ jobs: [NewJob]) async throws -> [EnqueuedJob] {
        try await store.enqueue(jobs, defaultMaxAttempts: { _ in 3 }, now: clock.now())
    }

    func claim(_ store: any JobStore, _ limit: Int, owner: String = "w1",
               weight: @escaping @Sendable (String) -> Int = { _ in 1 }) async throws -> [JobRecord] {
        try await store.claim(ClaimRequest(owner: owner, limit: limit, now: clock.now(),
                                           leaseUntil: clock.now().addingTimeInterval(30), tenantWeight: weight)).jobs
    }

    @Test("bulk enqueue writes every job in one commit with increasing ids", arguments: BackendKind.allCases)
    func bulkEnqueue(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        let sqlite = (backend as? TemporarySQLiteBackend)?.backend.store
        let before = sqlite?.statistics.transactions ?? 0
        let enqueued = try await enqueue(store, (0..<1_000).map { job("t\($0 % 7)") })
        if let sqlite { #expect(sqlite.statistics.transactions - before == 1) }
        #expect(enqueued.allSatisfy { $0.created })
        let ids = enqueued.map(\.job.id)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(try await store.countByState() == [.queued: 1_000])
        let stored = try #require(try await store.job(ids[500], tenant: nil))
        #expect(stored.tenant == "t3" && stored.state == .queued && stored.maxAttempts == 3)
        #expect(JobID(ids[500].description) == ids[500], "the id's text form round-trips")
        await backend.close()
    }

    @Test("a kind's concurrency budget caps that kind only; other kinds still fill the claim", arguments: BackendKind.allCases)
    func kindBudgets(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        // The limited kind sits at the top of the queue (higher priority).
        _ = try await enqueue(store, (0..<4).map { _ in NewJob(kind: "limited", tenant: "t1", priority: 5) }
                                     + (0..<10).map { _ in job("t1") })
        let request = { (budget: Int) in
            ClaimRequest(owner: "w", limit: 5, now: clock.now(), leaseUntil: clock.now().addingTimeInterval(30),
                         kindBudgets: ["limited": budget])
        }
        let first = try await store.claim(request(1)).jobs
        #expect(first.count == 5 && first.filter { $0.kind == "limited" }.count == 1)
        let second = try await store.claim(request(0)).jobs
        #expect(second.count == 5 && second.allSatisfy { $0.kind == "k" })
        let third = try await store.claim(request(2)).jobs
        #expect(third.count == 3 && third.filter { $0.kind == "limited" }.count == 2, "the last other job, and the budget's two")
        await backend.close()
    }

    @Test("concurrent enqueues with one unique key create one job and all get it", arguments: BackendKind.allCases)
    func uniqueKeyUnderConcurrency(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        let results = try await withThrowingTaskGroup(of: EnqueuedJob.self) { group in
            for _ in 0..<50 { group.addTask { try await enqueue(store, [job("t1", key: "order-42")])[0] } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter(\.created).count == 1)
        #expect(Set(results.map(\.job.id)).count == 1)
        // The same key under another tenant is another job.
        #expect(try await enqueue(store, [job("t2", key: "order-42")])[0].created)
        #expect(try await store.countByState() == [.queued: 2])
        await backend.close()
    }

    @Test("a tenant's single job is claimed in the first round while another has 10,000 queued", arguments: BackendKind.allCases)
    func fairness(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        _ = try await enqueue(store, (0..<10_000).map { _ in job("a-big") })
        let small = try await enqueue(store, [job("b-small")])[0].job
        let first = try await claim(store, 32)
        #expect(first.count == 32)
        #expect(first.contains { $0.id == small.id })
        await backend.close()
    }

    @Test("when there are more tenants than slots, rounds rotate so every tenant is served", arguments: BackendKind.allCases)
    func rotationAcrossRounds(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        _ = try await enqueue(store, (0..<10).flatMap { tenant in (0..<5).map { _ in job("t\(tenant)") } })
        var rounds: [Set<String>] = []
        for _ in 0..<3 { rounds.append(Set(try await claim(store, 4).map(\.tenant))) }
        #expect(rounds.allSatisfy { $0.count == 4 }, "each round serves 4 different tenants: \(rounds)")
        #expect(rounds.reduce(into: Set<String>()) { $0.formUnion($1) }.count == 10, "three rounds reach all 10 tenants")
        #expect(rounds[2].contains("t8") && rounds[2].contains("t9") && rounds[2].contains("t0"), "round 3 picks up after t7 and wraps")
        await backend.close()
    }

    @Test("weights give tenants proportional shares of a round", arguments: BackendKind.allCases)
    func weightedShares(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        _ = try await enqueue(store, (0..<200).map { job($0.isMultiple(of: 2) ? "gold" : "free") })
        let claimed = try await claim(store, 40) { $0 == "gold" ? 3 : 1 }
        #expect(claimed.filter { $0.tenant == "gold" }.count == 30)
        #expect(claimed.filter { $0.tenant == "free" }.count == 10)
        await backend.close()
    }

    @Test("within a tenant, higher priority is claimed first, then older", arguments: BackendKind.allCases)
    func priorities(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        _ = try await enqueue(store, [job("t", priority: 0, label: "low-1"), job("t", priority: 5, label: "high"),
                                      job("t", priority: 0, label: "low-2"), job("t", priority: -3, label: "lowest")])
        var order: [String] = []
        for _ in 0..<4 {
            let claimed = try await claim(store, 1)
            order += claimed.map { String(decoding: $0.payload, as: UTF8.self) }
        }
        #expect(order == [#"{"label":"high"}"#, #"{"label":"low-1"}"#, #"{"label":"low-2"}"#, #"{"label":"lowest"}"#])
        await backend.close()
    }

    @Test("a job is not claimed before its runAt, and the claim says when it is due", arguments: BackendKind.allCases)
    func delayedJobs(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        let runAt = clock.now().addingTimeInterval(90)
        _ = try await store.enqueue([NewJob(kind: "k", tenant: "t", runAt: runAt)], defaultMaxAttempts: { _ in 1 }, now: clock.now())
        let early = try await store.claim(ClaimRequest(owner: "w", limit: 10, now: clock.now(), leaseUntil: clock.now()))
        #expect(early.jobs.isEmpty)
        #expect(early.nextRunAt?.millisecondsSince1970 == runAt.millisecondsSince1970)
        clock.advance(by: .seconds(90))
        #expect(try await claim(store, 10).count == 1)
        await backend.close()
    }

    @Test("an expired lease is recovered: the job is requeued without using an attempt", arguments: BackendKind.allCases)
    func leaseRecovery(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        let id = try await enqueue(store, [job("t")])[0].job.id
        let claimed = try await claim(store, 1, owner: "crashed-worker")
        #expect(claimed.first?.attempts == 1)
        clock.advance(by: .seconds(29))
        #expect(try await store.recoverExpiredLeases(now: clock.now(), maxRecoveries: 3).isEmpty, "lease still valid")
        clock.advance(by: .seconds(2))
        let report = try await store.recoverExpiredLeases(now: clock.now(), maxRecoveries: 3)
        #expect(report.requeued == [id])
        let job = try #require(try await store.job(id, tenant: nil))
        #expect(job.state == .queued && job.attempts == 0 && job.recoveries == 1 && job.leaseOwner == nil)
        // A completion from the lost worker is ignored once the job was recovered.
        try await store.complete([JobCompletion(id: id, owner: "crashed-worker", outcome: .succeeded(result: nil))], now: clock.now())
        #expect(try await store.job(id, tenant: nil)?.state == .queued)
        await backend.close()
    }

    @Test("a stale attempt's completion is ignored once its job was recovered and claimed again by the same owner", arguments: BackendKind.allCases)
    func staleAttemptFenced(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        let id = try await enqueue(store, [job("t")])[0].job.id
        let first = try #require(try await claim(store, 1, owner: "w").first)
        clock.advance(by: .seconds(31))
        #expect(try await store.recoverExpiredLeases(now: clock.now(), maxRecoveries: 3).requeued == [id])
        let second = try #require(try await claim(store, 1, owner: "w").first)
        #expect(second.recoveries == first.recoveries + 1)
        try await store.complete([JobCompletion(id: id, owner: "w", outcome: .failed(error: "stale"), recoveries: first.recoveries)],
                                 now: clock.now())
        #expect(try await store.job(id, tenant: nil)?.state == .running, "the first attempt's word does not count")
        try await store.complete([JobCompletion(id: id, owner: "w", outcome: .succeeded(result: nil), recoveries: second.recoveries)],
                                 now: clock.now())
        #expect(try await store.job(id, tenant: nil)?.state == .succeeded)
        await backend.close()
    }

    @Test("a job that keeps losing its worker goes dead after the recovery cap", arguments: BackendKind.allCases)
    func poisonJobCap(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        let id = try await enqueue(store, [job("t")])[0].job.id
        for round in 1...4 {
            #expect(try await claim(store, 1).count == 1, "round \(round) claims it")
            clock.advance(by: .seconds(31))
            let report = try await store.recoverExpiredLeases(now: clock.now(), maxRecoveries: 3)
            #expect(round <= 3 ? report.requeued == [id] : report.dead == [id])
        }
        let job = try #require(try await store.job(id, tenant: nil))
        #expect(job.state == .dead && job.recoveries == 4)
        #expect(job.lastError?.contains("lease expired") == true)
        #expect(try await claim(store, 1).isEmpty)
        await backend.close()
    }

    @Test("cancelling: queued at once, running by flag, finished left alone, other tenant not found", arguments: BackendKind.allCases)
    func cancelStates(_ kind: BackendKind) async throws {
        let backend = try await kind.openRuntime(), store = backend.jobs
        let queued = try await enqueue(store, [job("t")])[0].job.id
        #expect(try await store.cancel(queued, tenant: "t", now: clock.now()) == .cancelled)
        #expect(try await claim(store, 10).isEmpty, "a cancelled job never starts")
        #expect(try await store.cancel(queued, tenant: "t", now: clock.now()) == .alreadyFinished(.cancelled))
        let running = try await enqueue(store, [job("t")])[0].job.id
        _ = try await claim(store, 1)
        #expect(try await store.cancel(running, tenant: "other", now: clock.now()) == .notFound)
        #expect(try await store.cancel(running, tenant: "t", now: clock.now()) == .cancelling)
        #expect(try await store.renewLeases(owner: "w1", ids: [running], until: clock.now().addingTimeInterval(30))
                == LeaseRenewal(renewed: [running], cancelRequested: [running]))
        #expect(try await store.job(running, tenant: "other") == nil)
        await backend.close()
    }
}
