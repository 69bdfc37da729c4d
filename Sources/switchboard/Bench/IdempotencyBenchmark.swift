import Foundation
import Histogram
import Runtime

/// Runs `pairs` idempotent requests through a fresh `IdempotencyStore` — `begin` (a new key:
/// `.proceed`) then `complete` with a small JSON response, two durable writes — spread
/// round-robin over `tenants`, `concurrency` in flight at once. The store lives in a new directory inside
/// `dataDirectory` (the disk the server would use) and is removed afterwards. Returns the
/// pairs per second and the p99 latency of one pair (begin + complete) in microseconds.
func measureIdempotencyPairs(pairs: Int, tenants: Int, concurrency: Int, dataDirectory: String,
                             synchronous: StoreConfiguration.Synchronous) async throws -> (perSecond: Double, p99Microseconds: Double) {
    let pairs = max(1, pairs)
    let scratch = try ScratchDirectory(in: dataDirectory, prefix: "bench-idempotency")
    defer { scratch.remove() }
    let database = try await SQLiteStore.open(
        StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: scratch.path), synchronous: synchronous),
        migrations: IdempotencySchema.migrations)
    do {
        let store = IdempotencyStore(backend: SQLiteBackend(store: database), clock: SystemClock())
        // Keys as clients send them (random UUIDs), made before the clock starts.
        let tenantNames = (0..<max(1, tenants)).map { "tenant-\($0)" }
        let keys = (0..<pairs).map { _ in UUID().uuidString.lowercased() }
        let response = StoredResponse(
            status: 202,
            headers: [("content-type", "application/json"), ("location", "/v1/jobs/01J0Z8X3N4Q5R6S7T8V9W0XYZA")],
            body: Data(#"{"id":"01J0Z8X3N4Q5R6S7T8V9W0XYZA","state":"queued","kind":"llm.completion","createdAt":"2026-01-01T00:00:00Z"}"#.utf8))
        let (seconds, latency) = try await runConcurrently(total: pairs, concurrency: concurrency) { index in
            let tenant = tenantNames[index % tenantNames.count]
            var digest = Data(count: 32)
            withUnsafeBytes(of: UInt64(index).littleEndian) { digest.replaceSubrange(0..<8, with: $0) }
            let fingerprint = try RequestFingerprint(digest)
            let decision = try await store.begin(tenant: tenant, key: keys[index], fingerprint: fingerprint)
            guard decision == .proceed else { throw IdempotencyBenchmarkFailure(message: "begin \(index) gave \(decision), not proceed") }
            guard try await store.complete(tenant: tenant, key: keys[index], response: response, fingerprint: fingerprint) else {
                throw IdempotencyBenchmarkFailure(message: "complete \(index) stored nothing")
            }
        }
        let stored = try await database.read { db in try db.scalar("SELECT count(*) FROM idempotency_keys WHERE state = 'completed'") }
        guard stored == Int64(pairs) else {
            throw IdempotencyBenchmarkFailure(message: "\(stored ?? 0) responses stored after \(pairs) pairs")
        }
        await database.close()
        return (Double(pairs) / seconds, Double(latency.valueAtPercentile(99)))
    } catch {
        await database.close()
        throw error
    }
}

private struct IdempotencyBenchmarkFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { "idempotency benchmark: \(message)" }
}
