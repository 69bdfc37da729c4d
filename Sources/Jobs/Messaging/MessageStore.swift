import Foundation
import Runtime

/// The messages' and the outbox's SQL. A message and its outbox row are written in one
/// transaction; the relay claims outbox rows under a lease in one statement (only the first
/// unsent message of each conversation is claimable, so a recipient's messages go in order);
/// status changes only move forward (`MessageStatus.rank`) and each is a history event.
struct MessageStore: Sendable {
    let backend: any Backend

    static let columns = """
        m.seq, m.id, m.tenant, m.channel, m.recipient, m.sender, m.subject, m.body, m.template_id, m.variables, m.provider, m.status,
        m.provider_message_id, m.error_code, m.error_message, m.attempts, m.segments, m.price, m.send_at, m.created_at, m.updated_at,
        m.previous_id, m.next_id
        """

    private static let decoder = JSONDecoder()

    static func record(_ row: borrowing SQLRow) -> MessageRecord {
        let variables = (row["variables"] as Data?).flatMap { try? decoder.decode([String: String].self, from: $0) }
        return MessageRecord(
            sequence: row["seq"], id: row["id"], tenant: row["tenant"], channel: Channel(rawValue: row["channel"]) ?? .sms,
            to: row["recipient"], from: row["sender"], subject: row["subject"], body: row["body"], templateID: row["template_id"],
            variables: variables, provider: row["provider"], status: MessageStatus(rawValue: row["status"]) ?? .failed,
            providerMessageID: row["provider_message_id"], errorCode: row["error_code"], errorMessage: row["error_message"],
            attempts: row["attempts"], segments: row["segments"], priceMicroUSD: row["price"],
            sendAt: (row["send_at"] as Int64?).map(Date.init(millisecondsSince1970:)),
            createdAt: Date(millisecondsSince1970: row["created_at"]), updatedAt: Date(millisecondsSince1970: row["updated_at"]),
            previousID: row["previous_id"], nextID: row["next_id"], events: [])
    }

    /// A new message to write with its outbox row.
    struct NewMessage: Sendable {
        var id: String
        var tenant: String
        var channel: Channel
        var to: String
        var from: String
        var subject: String?
        var body: String?
        var templateID: Int64?
        var variables: Data?
        var provider: String
        var segments: Int
        var price: Int64
        var holdID: Int64?
        var idempotencyKey: String?
        var sendAt: Date?
        /// The steps still to try if this attempt is not delivered, and how long to wait for its report.
        var fallback: Data? = nil
        var fallbackAfter: Duration? = nil
        /// The attempt this one follows.
        var previousID: String? = nil
    }

    /// The insert hit the tenant's Idempotency-Key: that message exists already.
    struct DuplicateKey: Error {}

    /// Writes the message (`queued`), its first history event and its outbox row in the caller's
    /// transaction; `DuplicateKey` if the tenant's Idempotency-Key has a message already.
    static func insert(_ message: NewMessage, now: Date, _ tx: Transaction) throws -> MessageRecord {
        let nowMS = now.millisecondsSince1970
        if let key = message.idempotencyKey,
           try tx.first("SELECT 1 AS found FROM messages WHERE tenant = \(message.tenant) AND idempotency_key = \(key)", { $0["found"] as Int64 }) != nil {
            throw DuplicateKey()
        }
        // The key's unique index decides between instances accepting the same key at once: the
        // later insert makes no row (it waits for the earlier commit) and is the duplicate.
        guard let seq = try tx.first("""
            INSERT INTO messages (id, tenant, channel, recipient, sender, subject, body, template_id, variables, provider, status,
                                  segments, price, hold_id, idempotency_key, send_at, created_at, updated_at,
                                  fallback, fallback_after, previous_id)
            VALUES (\(message.id), \(message.tenant), \(message.channel.rawValue), \(message.to), \(message.from), \(message.subject),
                    \(message.body), \(message.templateID), \(message.variables.map(SQLText.init)), \(message.provider), 'queued',
                    \(message.segments), \(message.price), \(message.holdID), \(message.idempotencyKey),
                    \(message.sendAt?.millisecondsSince1970), \(nowMS), \(nowMS), \(message.fallback.map(SQLText.init)),
                    \(message.fallbackAfter.map { Int64($0.timeInterval * 1_000) }), \(message.previousID))
            ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING seq
            """, { $0["seq"] as Int64 }) else { throw DuplicateKey() }
        let detail = message.previousID.map { "fallback: the attempt after \($0)" }
        try Self.event(seq, .queued, detail: detail, at: nowMS, tx)
        let sendAfter = max(message.sendAt?.millisecondsSince1970 ?? nowMS, nowMS)
        // The queuing task's trace (`Backend.write` carries it here).
        try tx.run("""
            INSERT INTO outbox (message_seq, conversation, send_after, due_at, traceparent)
            VALUES (\(seq), \("\(message.tenant)|\(message.channel.rawValue)|\(message.to)"), \(sendAfter), \(sendAfter), \(TraceParent.of()))
            """)
        guard var record = try tx.first("SELECT \(raw: Self.columns) FROM messages m WHERE m.seq = \(seq)", { Self.record($0) }) else {
            throw StoreError(kind: .other, message: "the message just written is missing")
        }
        record.events = [.init(status: .queued, detail: detail, at: Date(millisecondsSince1970: nowMS))]
        return record
    }

    /// A history event; a status the tenant hears of (`message.*`) also raises its webhook event, in the same commit.
    static func event(_ seq: Int64, _ status: MessageStatus, detail: String?, at: Int64, _ tx: Transaction) throws {
        try tx.run("INSERT INTO message_events (message_seq, status, detail, at) VALUES (\(seq), \(status.rawValue), \(detail), \(at))")
        try WebhookEvents.messageStatus(seq, status, at: at, tx)
    }

    // MARK: Reading

    func message(id: String, tenant: String?) async throws -> MessageRecord? {
        try await backend.read { tx in
            guard var message = try tx.first("SELECT \(raw: Self.columns) FROM messages m WHERE m.id = \(id)", { Self.record($0) }) else {
                return nil
            }
            if let tenant, message.tenant != tenant { return nil }
            message.events = try tx.all("SELECT status, detail, at FROM message_events WHERE message_seq = \(message.sequence) ORDER BY id") { row in
                MessageRecord.Event(status: MessageStatus(rawValue: row["status"]) ?? .queued, detail: row["detail"],
                                    at: Date(millisecondsSince1970: row["at"]))
            }
            return message
        }
    }

    func message(tenant: String, idempotencyKey: String) async throws -> MessageRecord? {
        let id = try await backend.read { tx in
            try tx.first("SELECT id FROM messages WHERE tenant = \(tenant) AND idempotency_key = \(idempotencyKey)") { $0["id"] as String }
        }
        guard let id else { return nil }
        return try await message(id: id, tenant: tenant)
    }

    /// A tenant's messages, newest first, below the sequence number `before`; optionally of one status.
    func messages(tenant: String, status: MessageStatus?, before: Int64?, limit: Int) async throws -> [MessageRecord] {
        let ofStatus: SQL = status.map { " AND m.status = \($0.rawValue)" } ?? ""
        return try await backend.read { tx in
            try tx.all("""
                SELECT \(raw: Self.columns) FROM messages m WHERE m.tenant = \(tenant) AND m.seq < \(before ?? Int64.max)\(ofStatus)
                ORDER BY m.seq DESC LIMIT \(limit)
                """) { Self.record($0) }
        }
    }

    /// Whether the message still has an outbox row (its sending is still to happen or under way).
    func hasOutboxRow(messageSequence seq: Int64) async throws -> Bool {
        try await backend.read { tx in
            try tx.first("SELECT 1 AS found FROM outbox WHERE message_seq = \(seq)") { $0["found"] as Int64 } != nil
        }
    }

    /// Outbox rows left (due or not).
    func outboxCount() async throws -> Int {
        try await backend.read { tx in try tx.first("SELECT count(*) AS n FROM outbox") { $0["n"] as Int } ?? 0 }
    }

    /// When the next outbox row can be claimed: the first row of each conversation, once it is
    /// due and not leased (nil: the outbox is empty).
    func nextClaimable() async throws -> Date? {
        try await backend.read { tx in
            try tx.first("""
                SELECT min(\(raw: tx.dialect.greatest)(o.due_at, coalesce(o.lease_until, 0))) AS due FROM outbox o
                WHERE NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation = o.conversation
                                  AND (p.send_after < o.send_after OR (p.send_after = o.send_after AND p.id < o.id)))
                """) { ($0["due"] as Int64?).map(Date.init(millisecondsSince1970:)) } ?? nil
        }
    }
}
