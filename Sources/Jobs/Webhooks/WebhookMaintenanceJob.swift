import Foundation
public import Runtime

/// `webhooks.maintain` (every minute): raises `wallet.low_balance` for each tenant subscribed to
/// it whose team wallet's available balance fell below the threshold — once, until it is back
/// above — and deletes what the delivery log keeps past `retention` (finished deliveries, their
/// attempts, events left without deliveries).
public struct WebhookMaintenanceJob: JobHandler {
    public struct Payload: Codable, Sendable {}
    public struct Output: Codable, Sendable, Equatable {
        public var alerted: Int
        public var purged: Int
    }

    public static let kind = "webhooks.maintain"
    public static let schedule = Schedule(name: kind, expression: "@every 1m", kind: kind, tenant: "system")
    public var options: JobKindOptions {
        JobKindOptions(retry: .exponentialJitter(maxAttempts: 3), timeout: .seconds(120), maxConcurrency: 1, runsWithoutTenant: true)
    }
    /// How long finished deliveries stay readable in the log.
    static let retention: TimeInterval = 7 * 86_400

    let backend: any Backend
    let wallets: Wallets
    let configuration: WebhookConfiguration

    public init(backend: any Backend, wallets: Wallets, configuration: WebhookConfiguration) {
        self.backend = backend
        self.wallets = wallets
        self.configuration = configuration
    }

    public func run(_ payload: Payload, context: JobContext) async throws -> Output {
        let now = context.clock.now().millisecondsSince1970
        return Output(alerted: try await alertLowBalances(now: now), purged: try await purge(now: now))
    }

    /// What `wallet.low_balance` says.
    struct LowBalanceData: Encodable {
        var wallet: String
        var availableUsd: String
        var thresholdUsd: String
    }

    /// Raises `wallet.low_balance` where it is due and re-arms it where the balance recovered; how many it raised.
    func alertLowBalances(now: Int64) async throws -> Int {
        let tenants = try await backend.read { tx in
            try tx.all("SELECT DISTINCT tenant, events FROM webhook_endpoints WHERE deleted_at IS NULL") { row in
                (tenant: row["tenant"] as String, events: row["events"] as String)
            }.filter { $0.events.split(separator: " ").contains(where: WebhookEventType.walletLowBalance.matches) }.map(\.tenant)
        }
        var raised = 0
        let threshold = configuration.lowBalanceThreshold
        for tenant in Set(tenants) {
            guard let balance = try await wallets.balance(of: .team(tenant)) else { continue }
            let low = balance.available < threshold
            let data = LowBalanceData(wallet: "team", availableUsd: balance.available.usdString, thresholdUsd: threshold.usdString)
            let alerted = try await backend.write { tx -> Bool in
                guard low else {
                    try tx.run("DELETE FROM wallet_alerts WHERE tenant = \(tenant)")
                    return false
                }
                guard try tx.run("INSERT INTO wallet_alerts (tenant, since) VALUES (\(tenant), \(now)) ON CONFLICT (tenant) DO NOTHING") == 1
                else { return false }
                try WebhookEvents.emit(.walletLowBalance, tenant: tenant, data: data, at: now, tx)
                return true
            }
            if alerted { raised += 1 }
        }
        return raised
    }

    /// Deletes finished deliveries older than `retention`, their attempts and orphaned events; how many deliveries.
    func purge(now: Int64) async throws -> Int {
        let cutoff = now - Int64(Self.retention * 1_000)
        return try await backend.write { tx in
            try tx.run("""
                DELETE FROM webhook_attempts WHERE delivery_id IN (
                    SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < \(cutoff) ORDER BY id LIMIT 10000)
                """)
            let purged = try tx.run("""
                DELETE FROM webhook_deliveries WHERE id IN (
                    SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < \(cutoff) ORDER BY id LIMIT 10000)
                """)
            try tx.run("""
                DELETE FROM webhook_events WHERE created_at < \(cutoff)
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = webhook_events.seq)
                """)
            return purged
        }
    }
}
