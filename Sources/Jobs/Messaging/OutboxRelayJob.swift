public import Runtime

/// `outbox.relay`: drains the outbox once (every minute by default, beside the relay service
/// that normally keeps it empty), so a process without the service, or a stuck service, still
/// delivers, sends due channel fallbacks, and closes the holds of messages whose outcome is recorded. Safe beside any other
/// relay: rows are leased.
public struct OutboxRelayJob: JobHandler {
    public struct Payload: Codable, Sendable {}
    public struct Output: Codable, Sendable {
        public var processed: Int
        public var sent: Int
        public var failed: Int
        public var remaining: Int
    }

    public static let kind = "outbox.relay"
    public static let schedule = Schedule(name: kind, expression: "@every 1m", kind: kind, tenant: "system")
    public var options: JobKindOptions { JobKindOptions(retry: .exponentialJitter(maxAttempts: 3), timeout: .seconds(300), maxConcurrency: 1, runsWithoutTenant: true) }

    let relay: OutboxRelay
    let fallbacks: MessageFallbacks

    init(relay: OutboxRelay, fallbacks: MessageFallbacks) {
        self.relay = relay
        self.fallbacks = fallbacks
    }

    public func run(_ payload: Payload, context: JobContext) async throws -> Output {
        try await fallbacks.pass()
        let report = try await relay.drain(maxPasses: 20)
        _ = try await relay.reconcileHolds(orphans: false)
        return Output(processed: report.processed, sent: report.sent, failed: report.failed, remaining: report.remaining)
    }
}
