import Foundation
@testable import Jobs
import Logging
import Runtime
import Testing

@Suite("Batches across a restart")
struct BatchRestartTests {
    final class Directory: Sendable {
        let path = NSTemporaryDirectory() + "switchboard-batch-test-\(UUID().uuidString)"
        init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func open(_ directory: Directory, clock: TestClock) async throws -> (JobRuntime, LLMService) {
        let llm = LLMService.development(clock: clock)
        let runtime = try await JobRuntime.open(
            RuntimeConfiguration(store: StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: directory.path))),
            registry: { JobCatalog.registry(llm: llm, messaging: .development(clock: clock), services: $0) }, migrations: JobCatalog.migrations, clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (runtime, llm)
    }

    static func items(_ llm: LLMService, count: Int) throws -> [BatchItem] {
        let targets = try llm.configuration.routing.targets(useCase: "chat", model: nil)
        return (1...count).map { index in
            let messages = [ChatMessage(role: .user, content: "question \(index)")]
            let worst = llm.worstCase(inputTokens: TokenEstimate.inputTokens(messages), maxTokens: 50, targets: targets)!
            return BatchItem(customID: "c\(index)", messages: messages, maxTokens: 50, useCase: "chat", model: nil, temperature: nil,
                             worstCase: worst)
        }
    }

    @Test("the hold outlives the process; an item charged before the crash is not charged again; the end reconciles exactly")
    func holdSurvivesRestart() async throws {
        let directory = Directory()
        let clock = TestClock(now: Date())
        let team = WalletKey.team("acme")
        let batchID: String, preCharge = MicroUSD(7)
        do {
            let (runtime, llm) = try await Self.open(directory, clock: clock)
            _ = try await runtime.wallets.credit(MicroUSD(usd: 1), to: team)
            let batches = InferenceBatches(runtime: runtime)
            let batch = try await batches.submit(tenant: "acme", wallet: team, items: try Self.items(llm, count: 5), ceiling: nil,
                                                 idempotencyKey: "key-1")
            batchID = batch.id
            // The same key again, even without the HTTP idempotency record, is the same batch.
            let again = try await batches.submit(tenant: "acme", wallet: team, items: try Self.items(llm, count: 5), ceiling: nil,
                                                 idempotencyKey: "key-1")
            #expect(again.id == batch.id)
            // An operator cancelled the finalizer: start-up must give the batch a new one.
            let finalizer = try #require(try await runtime.jobs.job(tenant: "system", uniqueKey: "batch-finalize:\(batch.id)"))
            #expect(try await runtime.cancel(finalizer.id) == .cancelled)
            // The first item was charged, then the process died before its job finished.
            let first = try #require(try await runtime.jobs.jobs(batch: batch.id, kind: BatchItemJob.kind, after: nil, limit: 1).first)
            _ = try await runtime.wallets.charge(preCharge, againstReservation: try #require(batch.holdID), on: team,
                                                 reference: "job:\(first.id)")
            // A second submission died while being created: its row is left validating, its hold made.
            let orphan = InferenceBatch(id: "batch_orphan", sequence: 0, tenant: "acme", status: .validating, wallet: "team",
                                        holdMicroUSD: 1_000, holdID: nil, counts: .init(total: 1), costMicroUSD: 0, error: nil,
                                        createdAt: clock.now(), expiresAt: clock.now().addingTimeInterval(86_400))
            try await BatchStore(backend: runtime.backend).insert(orphan)
            _ = try await runtime.wallets.reserve(MicroUSD(1_000), on: team, reference: InferenceBatch.holdReference(orphan.id))
            await runtime.close()
        }
        let (runtime, _) = try await Self.open(directory, clock: clock)
        let batches = InferenceBatches(runtime: runtime)
        let held = try #require(try await runtime.wallets.balance(of: team)).reserved
        let recovered = try await batches.recover(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(recovered.failed == 1 && recovered.refinalized == 1)
        #expect(try await batches.batch("batch_orphan", tenant: "acme")?.status == .failed)
        #expect(try await runtime.wallets.balance(of: team)?.reserved == held - MicroUSD(1_000))

        let running = Task { try await runtime.run() }
        let ticker = Task {
            while !Task.isCancelled {
                clock.advance(by: .milliseconds(250))
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        var batch: InferenceBatch?
        for _ in 0..<4_000 {
            batch = try await batches.batch(batchID, tenant: "acme")
            if batch?.status == .completed { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        ticker.cancel()
        runtime.shutdown()
        try await running.value
        let finished = try #require(batch)
        #expect(finished.status == .completed && finished.counts.completed == 5)
        let results = try #require(try await batches.results(batchID, tenant: "acme", after: nil, limit: 10))
        let costs = results.compactMap { $0.output?.costMicroUSD }
        #expect(costs.count == 5 && costs[0] == preCharge.value)
        #expect(finished.costMicroUSD == costs.reduce(0, +))
        let balance = try #require(try await runtime.wallets.balance(of: team))
        #expect(balance.balance == MicroUSD(usd: 1) - MicroUSD(finished.costMicroUSD) && balance.reserved == MicroUSD(0))
        #expect(try await runtime.wallets.audit().isEmpty)
        await runtime.close()
    }

    @Test("start-up releases the hold of a batch that has ended, and keeps the hold of one still running")
    func endedBatchHoldReleased() async throws {
        let directory = Directory()
        let clock = TestClock(now: Date())
        let team = WalletKey.team("acme")
        let (runtime, llm) = try await Self.open(directory, clock: clock)
        _ = try await runtime.wallets.credit(MicroUSD(usd: 1), to: team)
        let batches = InferenceBatches(runtime: runtime)
        let ended = try await batches.submit(tenant: "acme", wallet: team, items: try Self.items(llm, count: 3), ceiling: nil)
        let running = try await batches.submit(tenant: "acme", wallet: team, items: try Self.items(llm, count: 2), ceiling: nil)
        // The batch was recorded as ended, but the process died (a full disk) before its hold was closed.
        let endedID = ended.id
        try await runtime.sqlite!.write { db in
            try db.execute("UPDATE inference_batches SET status = 'cancelled' WHERE id = '\(endedID)'")
            try db.execute("UPDATE jobs SET state = 'cancelled' WHERE batch_id = '\(endedID)'")
        }
        let recovered = try await batches.recover(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(recovered.holdsReleased == 1)
        let balance = try #require(try await runtime.wallets.balance(of: team))
        #expect(balance.reserved == MicroUSD(running.holdMicroUSD), "only the running batch still holds")
        #expect(try await runtime.wallets.audit().isEmpty)
        await runtime.close()
    }
}
