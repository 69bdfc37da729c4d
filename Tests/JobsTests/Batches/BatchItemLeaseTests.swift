import Foundation
@testable import Jobs
import Logging
@testable import Runtime
import Testing

/// A batch item whose lease lapsed (the process was paused past it) must not touch the item's
/// charge when its provider call fails: another worker may own the item and its charge now.
@Suite("Batch items and lapsed leases")
struct BatchItemLeaseTests {
    @Test("a failing item with a lapsed lease leaves the charge alone; with a sound lease it voids it and fails")
    func lapsedLeaseKeepsCharge() async throws {
        let directory = BatchRestartTests.Directory()
        let clock = TestClock(now: Date())
        let team = WalletKey.team("acme")
        let (runtime, llm) = try await BatchRestartTests.open(directory, clock: clock)
        _ = try await runtime.wallets.credit(MicroUSD(usd: 1), to: team)
        let batch = try await InferenceBatches(runtime: runtime).submit(tenant: "acme", wallet: team,
                                                                        items: try BatchRestartTests.items(llm, count: 1), ceiling: nil)
        let holdID = try #require(batch.holdID)
        let item = try #require(try await runtime.jobs.jobs(batch: batch.id, kind: BatchItemJob.kind, after: nil, limit: 1).first)
        // The worker that took the item over after the pause has been charged for it.
        _ = try await runtime.wallets.charge(MicroUSD(7), againstReservation: holdID, on: team, reference: "job:\(item.id)")

        let failing = LLMService(configuration: .development,
                                 providers: [SimulatedProvider(configuration: .init(errorRate: 1), clock: clock)], clock: clock,
                                 retry: LLMRouter.Retry(attemptsPerTarget: 1))
        let handler = BatchItemJob(llm: failing, wallets: runtime.wallets, directory: BatchDirectory(store: BatchStore(backend: runtime.backend)))
        let payload = try JSONDecoder().decode(BatchItemJob.Payload.self, from: item.payload)
        func context(leaseUntil: Date) -> JobContext {
            JobContext(id: item.id, tenant: "acme", kind: BatchItemJob.kind, attempt: 1, maxAttempts: 1, batchID: batch.id,
                       uniqueKey: nil, clock: clock, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                       lease: JobLease(expiresAt: leaseUntil, clock: clock))
        }

        let lapsed = await #expect(throws: (any Error).self) {
            try await handler.run(payload, context: context(leaseUntil: clock.now().addingTimeInterval(-40)))
        }
        #expect(!(lapsed is JobFailure), "not a permanent failure: the pool requeues it")
        #expect(try await runtime.wallets.reservation(holdID, on: team)?.charged == MicroUSD(7), "the other worker's charge stands")

        let sound = await #expect(throws: JobFailure.self) {
            try await handler.run(payload, context: context(leaseUntil: clock.now().addingTimeInterval(30)))
        }
        #expect(sound?.message.contains("provider_unavailable") == true)
        #expect(try await runtime.wallets.reservation(holdID, on: team)?.charged == .zero, "a failed item costs nothing")
        await runtime.close()
    }
}
