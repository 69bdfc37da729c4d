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

    let backend: any Backend

    public init(backend: any Backend) { self.backend = backend }

    enum Outcome: String { case applied, unchanged, unmatched, unknownStatus = "unknown_status" }

    public func run(_ payload: Payload, context: JobContext) async throws -> NoOutput {
        let now = context.clock.now().millisecondsSince1970
        let outcome = try await backend.write { tx in try Self.apply(payload.dedupeKey, now: now, tx) }
        guard outcome != nil else {
            // Soon at first (the send's answer is usually a moment away), then less often: a tenth
            // of the report's age, 10 s to 1 h, so a day of waiting is about 60 tries, not 8,640.
            let age = try await backend.read { tx in
                try tx.first("SELECT received_at FROM delivery_reports WHERE dedupe_key = \(payload.dedupeKey)") { $0["received_at"] as Int64 }
            }.map { max(0, now - $0) } ?? 0
            throw JobFailure.snooze(for: .milliseconds(min(3_600_000, max(10_000, age / 10))), reason: "the report's message is not known yet")
        }
        return NoOutput()
    }

    /// Applies the stored report `dedupeKey` in the caller's transaction; nil while its message
    /// is not known yet (and patience lasts).
    /// On PostgreSQL the report's row is locked (`FOR UPDATE`) until the commit, so two
    /// instances applying it at once apply it once: the second waits, then finds it applied.
    static func apply(_ dedupeKey: String, now: Int64, _ tx: Transaction) throws -> Outcome? {
        guard let report = try tx.first("""
            SELECT provider, message_id, provider_message_id, provider_status, error_code, received_at
            FROM delivery_reports WHERE dedupe_key = \(dedupeKey) AND applied_at IS NULL\(raw: tx.dialect.forUpdate)
            """, { row in
                Stored(provider: row["provider"], messageID: row["message_id"], sid: row["provider_message_id"],
                       status: row["provider_status"], errorCode: row["error_code"], receivedAt: row["received_at"])
            }) else { return .unchanged }
        return try apply(report, dedupeKey: dedupeKey, now: now, tx)
    }

    /// A report as stored, not applied yet.
    struct Stored {
        var provider: String
        var messageID: String?
        var sid: String
        var status: String
        var errorCode: String?
        var receivedAt: Int64

        init(provider: String, messageID: String?, sid: String, status: String, errorCode: String?, receivedAt: Int64) {
            self.provider = provider
            self.messageID = messageID
            self.sid = sid
            self.status = status
            self.errorCode = errorCode
            self.receivedAt = receivedAt
        }

        init(_ report: DeliveryReport, receivedAt: Int64) {
            self.init(provider: report.provider, messageID: report.messageID, sid: report.providerMessageID, status: report.providerStatus,
                      errorCode: report.errorCode, receivedAt: receivedAt)
        }
    }

    /// Applies `report`, stored under `dedupeKey` in this transaction and not applied yet (the
    /// inbox passes what it just stored, so it is not read back).
    static func apply(_ report: Stored, dedupeKey: String, now: Int64, _ tx: Transaction) throws -> Outcome? {
        let payload = Payload(dedupeKey: dedupeKey)
        let word = report.status.lowercased()
        let status = Self.status(word)
        let suppresses = Self.suppressingEvents.contains(word)
        guard status != nil || suppresses else {
            try Self.finish(payload.dedupeKey, .unknownStatus, now, tx)
            return .unknownStatus
        }
        // By our id when the report carried it (signed by the provider, whichever of the
        // message's sends it is about), else by the provider's id.
        let match: SQL = report.messageID.map { "id = \($0)" } ?? "provider_message_id = \(report.sid)"
        let message = try tx.first("""
            SELECT seq, tenant, channel, recipient FROM messages WHERE provider = \(report.provider) AND \(match) LIMIT 1
            """, { row in
                (seq: row["seq"] as Int64, tenant: row["tenant"] as String, channel: row["channel"] as String,
                 recipient: row["recipient"] as String)
            })
        guard let message else {
            if Double(now - report.receivedAt) / 1_000 < Self.patience { return nil }
            try Self.finish(payload.dedupeKey, .unmatched, now, tx)
            return .unmatched
        }
        var changed = false
        if let status {
            if status.isFinal, status != .delivered, let code = report.errorCode {
                try tx.run("""
                    UPDATE messages SET error_code = \(code), updated_at = \(now)
                    WHERE seq = \(message.seq) AND status NOT IN ('delivered', 'failed', 'undelivered', 'cancelled')
                    """)
            }
            changed = try OutboxStore.advance(message.seq, to: status, detail: report.errorCode.map { "provider error \($0)" } ?? "provider report: \(word)",
                                              at: now, tx)
        }
        if suppresses, let channel = Channel(rawValue: message.channel) {
            try Suppressions.add(tenant: message.tenant, channel: channel, address: message.recipient, reason: "provider event \(word)",
                                 at: now, tx)
            changed = true
        }
        let outcome: Outcome = changed ? .applied : .unchanged
        try Self.finish(payload.dedupeKey, outcome, now, tx)
        return outcome
    }

    /// Events after which the recipient gets nothing more from the tenant (SendGrid's words).
    static let suppressingEvents: Set<String> = ["bounce", "unsubscribe", "group_unsubscribe", "spamreport"]

    /// A provider's status word as ours: Twilio's words, and SendGrid's events (`processed`
    /// sent, `bounce` undelivered, `dropped` failed); nil for words that move nothing
    /// (`deferred`, `open`, `click`).
    static func status(_ word: String) -> MessageStatus? {
        switch word {
        case "processed": .sent
        case "bounce": .undelivered
        case "dropped": .failed
        case "deferred", "open", "click", "unsubscribe", "group_unsubscribe", "spamreport", "group_resubscribe": nil
        default: MessageStatus(providerStatus: word)
        }
    }

    private static func finish(_ key: String, _ outcome: Outcome, _ now: Int64, _ tx: Transaction) throws {
        try tx.run("UPDATE delivery_reports SET applied_at = \(now), outcome = \(outcome.rawValue) WHERE dedupe_key = \(key)")
    }
}
