import Foundation
@testable import Jobs
import Runtime
import Testing

/// The batches' SQL on each backend: every transition is one conditional statement, so it
/// happens once, also when several instances on one PostgreSQL database race for it.
@Suite("Batch store")
struct BatchStoreTests {
    static let start = Date(millisecondsSince1970: 1_780_000_000_000)

    static func batch(_ id: String, tenant: String = "acme", total: Int = 3) -> InferenceBatch {
        InferenceBatch(id: id, sequence: 0, tenant: tenant, status: .validating, wallet: "team", holdMicroUSD: 9_000, holdID: nil,
                       counts: .init(total: total), costMicroUSD: 0, error: nil, createdAt: start,
                       expiresAt: start.addingTimeInterval(86_400))
    }

    /// A webhook endpoint of `tenant` subscribed to every event, so a batch's end raises one.
    static func subscribe(_ tenant: String, _ backend: any Backend) async throws {
        try await backend.write { tx in
            _ = try tx.run("""
                INSERT INTO webhook_endpoints (id, tenant, url, events, secret, created_at)
                VALUES (\("we_" + tenant), \(tenant), 'http://127.0.0.1:9/hook', '*', 'whsec_test', 0)
                """)
        }
    }

    static func events(_ backend: any Backend) async throws -> [String] {
        try await backend.read { tx in try tx.all("SELECT body FROM webhook_events ORDER BY seq") { $0["body"] as String } }
    }

    @Test("a batch moves validating → in progress → cancelling → cancelled once, its figures read back by column", arguments: BatchBackend.allCases)
    func lifecycle(_ kind: BatchBackend) async throws {
        let backends = try await kind.open()
        let backend = backends[0], store = BatchStore(backend: backend)
        try await Self.subscribe("acme", backend)
        try await store.insert(Self.batch("batch_a"))
        try await store.insert(Self.batch("batch_b"))

        let created = try #require(try await store.batch("batch_a"))
        #expect(created.status == .validating && created.holdMicroUSD == 9_000 && created.counts.total == 3 && created.holdID == nil)
        #expect(created.createdAt == Self.start && created.expiresAt == Self.start.addingTimeInterval(86_400))
        #expect(created.cancelRequestedAt == nil && created.finishedAt == nil && created.error == nil)
        #expect(try await store.batch("batch_a", tenant: "other") == nil, "another tenant's batch is not found")
        #expect(try await store.validating().map(\.id).sorted() == ["batch_a", "batch_b"])

        try await backend.write { tx in try BatchStore.markInProgress("batch_a", holdID: 41, idempotencyKey: "key-a", tx) }
        await #expect(throws: StoreError.self, "only a validating batch starts") {
            try await backend.write { tx in try BatchStore.markInProgress("batch_a", holdID: 42, idempotencyKey: nil, tx) }
        }
        await #expect(throws: StoreError.self, "an idempotency key makes one batch") {
            try await backend.write { tx in try BatchStore.markInProgress("batch_b", holdID: 43, idempotencyKey: "key-a", tx) }
        }
        #expect(try await store.batch(tenant: "acme", idempotencyKey: "key-a")?.id == "batch_a")
        #expect(try await store.batch(tenant: "acme", idempotencyKey: "key-b") == nil)
        let running = try #require(try await store.batch("batch_a"))
        #expect(running.status == .inProgress && running.holdID == 41)
        #expect(try await store.active().map(\.id) == ["batch_a"])

        // Deleting and failing only touch a batch still validating.
        try await store.delete("batch_a")
        try await store.fail("batch_a", error: "no", at: Self.start)
        #expect(try await store.batch("batch_a")?.status == .inProgress)

        let cancelAt = Self.start.addingTimeInterval(60)
        #expect(try await store.requestCancel("batch_a", at: cancelAt))
        #expect(try await store.requestCancel("batch_a", at: cancelAt.addingTimeInterval(5)), "cancelling again is still cancelling")
        #expect(try await store.batch("batch_a")?.cancelRequestedAt == cancelAt, "the first request's time stays")
        #expect(try await !store.markFinalizing("batch_a"), "a cancelling batch is not in progress")

        let counts = InferenceBatch.Counts(total: 3, completed: 1, failed: 1, cancelled: 1)
        #expect(try await store.finish("batch_a", counts: counts, cost: 1_234, at: cancelAt.addingTimeInterval(1)))
        #expect(try await !store.finish("batch_a", counts: counts, cost: 9, at: cancelAt.addingTimeInterval(2)), "an ended batch ends once")
        let ended = try #require(try await store.batch("batch_a"))
        #expect(ended.status == .cancelled && ended.costMicroUSD == 1_234 && ended.counts == counts)
        #expect(ended.finishedAt == cancelAt.addingTimeInterval(1))
        #expect(try await !store.requestCancel("batch_a", at: cancelAt), "an ended batch is not cancelled")
        let events = try await Self.events(backend)
        #expect(events.count == 1)
        #expect(events.first?.contains(#""status":"cancelled""#) == true && events.first?.contains(#""type":"batch.completed""#) == true)

        // The other batch could not start: failed, with why; then it is no longer deleted.
        try await store.fail("batch_b", error: "the server stopped", at: Self.start)
        try await store.delete("batch_b")
        let failed = try #require(try await store.batch("batch_b"))
        #expect(failed.status == .failed && failed.error == "the server stopped" && failed.finishedAt == Self.start)
        #expect(try await store.validating().isEmpty)
        #expect(try await store.active().isEmpty)
        await kind.close(backends)
    }

    @Test("a tenant's batches page newest first below a sequence number", arguments: BatchBackend.allCases)
    func paging(_ kind: BatchBackend) async throws {
        let backends = try await kind.open()
        let store = BatchStore(backend: backends[0])
        for index in 1...5 { try await store.insert(Self.batch("batch_\(index)")) }
        try await store.insert(Self.batch("batch_other", tenant: "other"))
        let first = try await store.batches(tenant: "acme", before: nil, limit: 2)
        #expect(first.map(\.id) == ["batch_5", "batch_4"])
        let next = try await store.batches(tenant: "acme", before: first.last?.sequence, limit: 10)
        #expect(next.map(\.id) == ["batch_3", "batch_2", "batch_1"])
        #expect(zip(next, next.dropFirst()).allSatisfy { $0.sequence > $1.sequence })
        await kind.close(backends)
    }

    @Test("an expired batch ends expired; a late cancel while finalizing wins", arguments: BatchBackend.allCases)
    func endStatus(_ kind: BatchBackend) async throws {
        let backends = try await kind.open()
        let backend = backends[0], store = BatchStore(backend: backend)
        for id in ["batch_x", "batch_c"] {
            try await store.insert(Self.batch(id))
            try await backend.write { tx in try BatchStore.markInProgress(id, holdID: 7, idempotencyKey: nil, tx) }
        }
        let at = Self.start.addingTimeInterval(90_000)
        try await store.markExpired("batch_x", at: at)
        try await store.markExpired("batch_x", at: at.addingTimeInterval(10))
        #expect(try await store.batch("batch_x")?.expiredAt == at, "the first expiry stays")
        #expect(try await store.markFinalizing("batch_x"))
        #expect(try await store.finish("batch_x", counts: .init(total: 3, completed: 2, failed: 0, cancelled: 1), cost: 5, at: at))
        #expect(try await store.batch("batch_x")?.status == .expired)

        #expect(try await store.markFinalizing("batch_c"))
        #expect(try await !store.requestCancel("batch_c", at: at), "a finalizing batch has every item ended")
        #expect(try await store.finish("batch_c", counts: .init(total: 3, completed: 3, failed: 0, cancelled: 0), cost: 5, at: at))
        #expect(try await store.batch("batch_c")?.status == .completed)
        await kind.close(backends)
    }

    @Test("instances racing to finalize and end the same batches: each moves once and raises one event", arguments: BatchBackend.allCases)
    func racingInstances(_ kind: BatchBackend) async throws {
        let backends = try await kind.open(instances: 2)
        let stores = backends.map { BatchStore(backend: $0) }
        try await Self.subscribe("acme", backends[0])
        let ids = (1...12).map { "batch_race_\($0)" }
        for id in ids {
            try await stores[0].insert(Self.batch(id))
            try await backends[0].write { tx in try BatchStore.markInProgress(id, holdID: 1, idempotencyKey: nil, tx) }
        }
        let counts = InferenceBatch.Counts(total: 3, completed: 3, failed: 0, cancelled: 0)
        // Each instance runs a finalizer pass over every batch, three times over, all at once.
        let moves = try await withThrowingTaskGroup(of: (finalized: [String], ended: [String]).self) { group in
            for round in 0..<3 {
                for (index, store) in stores.enumerated() {
                    let order = (index + round) % 2 == 0 ? ids : ids.reversed()
                    group.addTask {
                        var finalized: [String] = [], ended: [String] = []
                        for id in order {
                            if try await store.markFinalizing(id) { finalized.append(id) }
                            if try await store.finish(id, counts: counts, cost: 30, at: Self.start) { ended.append(id) }
                        }
                        return (finalized, ended)
                    }
                }
            }
            var all: (finalized: [String], ended: [String]) = ([], [])
            for try await pass in group {
                all.finalized += pass.finalized
                all.ended += pass.ended
            }
            return all
        }
        #expect(moves.finalized.sorted() == ids.sorted(), "each batch moved to finalizing exactly once")
        #expect(moves.ended.sorted() == ids.sorted(), "each batch ended exactly once")
        let events = try await Self.events(backends[1])
        #expect(events.count == ids.count, "one batch.completed per batch")
        for id in ids { #expect(events.filter { $0.contains("\"\(id)\"") }.count == 1) }
        for id in ids { #expect(try await stores[1].batch(id)?.status == .completed) }
        await kind.close(backends)
    }
}
