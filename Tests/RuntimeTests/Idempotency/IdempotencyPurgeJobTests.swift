import Foundation
import Testing
@testable import Runtime

@Suite("Idempotency purge job")
struct IdempotencyPurgeJobTests {
    @Test("the runtime schedules the purge, and the job deletes records past their TTL")
    func scheduledPurge() async throws {
        let harness = try await TestHarness()
        let schedule = try #require(try await harness.runtime.scheduler.schedule(named: IdempotencyPurgeJob.kind))
        #expect(schedule.enabled && schedule.expression == "@every 10m")
        let fingerprint = try RequestFingerprint(Data(repeating: 7, count: 32))
        #expect(try await harness.runtime.idempotency.begin(tenant: "t1", key: "k", fingerprint: fingerprint) == .proceed)
        try await harness.runtime.idempotency.complete(tenant: "t1", key: "k", response: StoredResponse(status: 201))
        let running = harness.start()
        #expect(try await rows(harness) == 1)

        harness.clock.advance(by: .seconds(24 * 3_600 + 600))
        let (id, outcome) = await harness.nextFinished()
        #expect(try await harness.job(id).kind == IdempotencyPurgeJob.kind && outcome.name == "succeeded")
        #expect(try await rows(harness) == 0)
        harness.runtime.shutdown()
        try await running.value
    }

    private func rows(_ harness: TestHarness) async throws -> Int64 {
        try await harness.runtime.sqlite!.read { db in try db.scalar("SELECT count(*) FROM idempotency_keys") ?? -1 }
    }
}
