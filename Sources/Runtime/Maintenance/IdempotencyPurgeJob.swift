/// Deletes expired idempotency records in bounded batches until none are left. The runtime
/// registers it and schedules it (`runtime.idempotency.purge`, every 10 minutes).
struct IdempotencyPurgeJob: JobHandler {
    struct Payload: Codable, Sendable {}
    struct Output: Codable, Sendable { var purged: Int }

    static let kind = "runtime.idempotency.purge"
    static let schedule = Schedule(name: kind, expression: "@every 10m", kind: kind, tenant: "system")
    static let batch = 1_000

    let store: IdempotencyStore

    var options: JobKindOptions { JobKindOptions(retry: .exponentialJitter(maxAttempts: 3), timeout: .seconds(300), maxConcurrency: 1, runsWithoutTenant: true) }

    func run(_ payload: Payload, context: JobContext) async throws -> Output {
        var purged = 0
        while true {
            try Task.checkCancellation()
            let deleted = try await store.purgeExpired(limit: Self.batch)
            purged += deleted
            if deleted < Self.batch { return Output(purged: purged) }
        }
    }
}
