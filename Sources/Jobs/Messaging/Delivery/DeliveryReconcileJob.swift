import Foundation
public import Runtime

/// `messages.reconcile`: asks the providers about messages still `sent` well after they went
/// out (their delivery report never came, or was lost): up to `batchSize` a run, each asked at
/// most once per `after`. What a provider answers is stored and applied like a report it sent
/// (dedupe by message and status, forward only), so a report that does come later changes nothing.
public struct DeliveryReconcileJob: JobHandler {
    public static let kind = "messages.reconcile"
    public static let schedule = Schedule(name: kind, expression: "@every 5m", kind: kind, tenant: "system")
    public var options: JobKindOptions {
        JobKindOptions(retry: .exponentialJitter(maxAttempts: 3), timeout: .seconds(300), maxConcurrency: 1, runsWithoutTenant: true)
    }

    static let batchSize = 200

    public static let migrations: [Migration] = [
        Migration(version: 332, name: "messages_reconciled_at", sql: """
            ALTER TABLE messages ADD COLUMN reconciled_at INTEGER;
            CREATE INDEX messages_status_updated ON messages (status, updated_at);
            """),
    ]

    let hub: MessagingHub
    let backend: any Backend

    init(hub: MessagingHub, backend: any Backend) {
        self.hub = hub
        self.backend = backend
    }

    public struct Output: Codable, Sendable, Equatable {
        public var asked: Int
        public var changed: Int
        public var failures: Int
    }

    public func run(_ payload: NoOutput, context: JobContext) async throws -> Output {
        let now = context.clock.now().millisecondsSince1970
        let cutoff = now - hub.configuration.reconcileAfter.milliseconds
        // Picked `FOR UPDATE SKIP LOCKED` on PostgreSQL and stamped in the same commit, so two
        // instances running it at once ask about different messages.
        let stuck = try await backend.write { tx in
            let rows = try tx.all("""
                SELECT id, provider, provider_message_id FROM messages
                WHERE status = 'sent' AND updated_at < \(cutoff) AND provider_message_id IS NOT NULL
                  AND (reconciled_at IS NULL OR reconciled_at < \(cutoff))
                ORDER BY updated_at LIMIT \(Self.batchSize)\(raw: tx.dialect.skipLocked)
                """) { row in (id: row["id"] as String, provider: row["provider"] as String, sid: row["provider_message_id"] as String) }
            try tx.run("UPDATE messages SET reconciled_at = \(now) WHERE id IN (\(list: rows.map(\.id)))")
            return rows
        }
        var output = Output(asked: 0, changed: 0, failures: 0)
        for message in stuck {
            guard let provider = hub.providers[message.provider] else { continue }
            let answer: ProviderStatusReport?
            do { answer = try await provider.currentStatus(of: message.sid) } catch {
                output.failures += 1
                context.logger.warning("could not ask a provider about a message", metadata: ["provider": "\(message.provider)", "error": "\(error)"])
                continue
            }
            guard let answer else { continue }
            output.asked += 1
            let report = DeliveryReport(provider: message.provider, messageID: message.id, providerMessageID: message.sid,
                                        providerStatus: answer.status, errorCode: answer.errorCode)
            let outcome = try await backend.write { tx in
                _ = try DeliveryInbox.insert(report, receivedAt: now, tx)
                return try DeliveryApplyJob.apply(report.dedupeKey, now: now, tx)
            }
            if outcome == .applied { output.changed += 1 }
        }
        return output
    }
}
