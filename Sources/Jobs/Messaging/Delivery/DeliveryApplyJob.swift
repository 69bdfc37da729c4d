import Foundation
public import Runtime

/// `messaging.delivery`: applies one stored delivery report to its message. The status only
/// moves forward (`sent → delivered | undelivered | failed`; a late `sent` after `delivered`
/// changes nothing), with a history event. A report whose message cannot be found yet (it came
/// before the send's answer named the provider's id) waits and tries again, for up to a day;
/// the report stays stored either way.
public struct DeliveryApplyJob: JobHandler {
    public struct Payload: Codable, Sendable, Equatable {
        public var dedupeKey: String
    }

    public static let kind = "messaging.delivery"
    static let tenant = "system"
    /// How long a report waits for its message to be known.
    static let patience: TimeInterval = 24 * 3_600
    public var options: JobKindOptions { JobKindOptions(retry: .exponentialJitter(maxAttempts: 20), timeout: .seconds(30)) }

    let database: SQLiteStore

    public init(database: SQLiteStore) { self.database = database }

    enum Outcome: String { case applied, unchanged, unmatched, unknownStatus = "unknown_status" }

    public func run(_ payload: Payload, context: JobContext) async throws -> NoOutput {
        let now = context.clock.now().millisecondsSince1970
        let outcome: Outcome? = try await database.write { db in
            guard let report = try db.first("""
                SELECT provider, message_id, provider_message_id, provider_status, error_code, received_at
                FROM delivery_reports WHERE dedupe_key = \(payload.dedupeKey) AND applied_at IS NULL
                """, { row in
                    (provider: row["provider"] as String, messageID: row["message_id"] as String?,
                     sid: row["provider_message_id"] as String, status: row["provider_status"] as String,
                     errorCode: row["error_code"] as String?, receivedAt: row["received_at"] as Int64)
                }) else { return .unchanged }
            let outcome: Outcome
            if let status = MessageStatus(providerStatus: report.status) {
                // By our id when the callback carried it (and the message is not another send's),
                // else by the provider's id.
                let seq = try db.first("""
                    SELECT seq FROM messages WHERE provider = \(report.provider) AND (
                        (\(report.messageID) IS NOT NULL AND id = \(report.messageID)
                         AND (provider_message_id IS NULL OR provider_message_id = \(report.sid)))
                        OR provider_message_id = \(report.sid))
                    LIMIT 1
                    """, { $0["seq"] as Int64 })
                guard let seq else {
                    if Double(now - report.receivedAt) / 1_000 < Self.patience { return nil }
                    outcome = .unmatched
                    try Self.finish(payload.dedupeKey, outcome, now, db)
                    return outcome
                }
                if status.isFinal, let code = report.errorCode, status != .delivered {
                    try db.run("UPDATE messages SET error_code = \(code), updated_at = \(now) WHERE seq = \(seq) AND status NOT IN ('delivered', 'failed', 'undelivered', 'cancelled')")
                }
                let changed = try OutboxStore.advance(seq, to: status, detail: report.errorCode.map { "provider error \($0)" } ?? "provider report",
                                                      at: now, db)
                outcome = changed ? .applied : .unchanged
            } else {
                outcome = .unknownStatus
            }
            try Self.finish(payload.dedupeKey, outcome, now, db)
            return outcome
        }
        guard outcome != nil else { throw JobFailure.snooze(for: .seconds(10), reason: "the report's message is not known yet") }
        return NoOutput()
    }

    private static func finish(_ key: String, _ outcome: Outcome, _ now: Int64, _ db: SQLiteConnection) throws {
        try db.run("UPDATE delivery_reports SET applied_at = \(now), outcome = \(outcome.rawValue) WHERE dedupe_key = \(key)")
    }
}
