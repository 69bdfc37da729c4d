import Foundation
import Runtime

/// The messages' and the outbox's SQL. A message and its outbox row are written in one
/// transaction; the relay claims outbox rows under a lease in one statement (only the first
/// unsent message of each conversation is claimable, so a recipient's messages go in order);
/// status changes only move forward (`MessageStatus.rank`) and each is a history event.
struct MessageStore: Sendable {
    let database: SQLiteStore

    static let columns = """
        m.seq, m.id, m.tenant, m.channel, m.recipient, m.sender, m.subject, m.body, m.template_id, m.variables, m.provider, m.status,
        m.provider_message_id, m.error_code, m.error_message, m.attempts, m.segments, m.price, m.send_at, m.created_at, m.updated_at,
        m.previous_id, m.next_id
        """
    static let columnCount: Int32 = 23

    private static let decoder = JSONDecoder()

    static func record(_ row: SQLiteStatement) -> MessageRecord {
        let variables = row.data(9).flatMap { try? decoder.decode([String: String].self, from: $0) }
        return MessageRecord(
            sequence: row.int64(0), id: row.string(1) ?? "", tenant: row.string(2) ?? "", channel: Channel(rawValue: row.string(3) ?? "") ?? .sms,
            to: row.string(4) ?? "", from: row.string(5) ?? "", subject: row.string(6), body: row.string(7), templateID: row.optionalInt64(8),
            variables: variables, provider: row.string(10) ?? "", status: MessageStatus(rawValue: row.string(11) ?? "") ?? .failed,
            providerMessageID: row.string(12), errorCode: row.string(13), errorMessage: row.string(14), attempts: row.int(15),
            segments: row.int(16), priceMicroUSD: row.int64(17), sendAt: row.optionalInt64(18).map(Date.init(millisecondsSince1970:)),
            createdAt: Date(millisecondsSince1970: row.int64(19)), updatedAt: Date(millisecondsSince1970: row.int64(20)),
            previousID: row.string(21), nextID: row.string(22), events: [])
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
    static func insert(_ message: NewMessage, now: Date, _ db: SQLiteConnection) throws -> MessageRecord {
        let nowMS = now.millisecondsSince1970
        if let key = message.idempotencyKey {
            let existing = try db.statement("SELECT 1 FROM messages WHERE tenant = ? AND idempotency_key = ?")
            existing.bind(1, message.tenant)
            existing.bind(2, key)
            if try existing.step() { throw DuplicateKey() }
        }
        let insert = try db.statement("""
            INSERT INTO messages (id, tenant, channel, recipient, sender, subject, body, template_id, variables, provider, status,
                                  segments, price, hold_id, idempotency_key, send_at, created_at, updated_at,
                                  fallback, fallback_after, previous_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insert.bind(1, message.id)
        insert.bind(2, message.tenant)
        insert.bind(3, message.channel.rawValue)
        insert.bind(4, message.to)
        insert.bind(5, message.from)
        insert.bind(6, message.subject)
        insert.bind(7, message.body)
        insert.bind(8, message.templateID)
        insert.bindText(9, message.variables)
        insert.bind(10, message.provider)
        insert.bind(11, message.segments)
        insert.bind(12, message.price)
        insert.bind(13, message.holdID)
        insert.bind(14, message.idempotencyKey)
        insert.bind(15, message.sendAt?.millisecondsSince1970)
        insert.bind(16, nowMS)
        insert.bind(17, nowMS)
        insert.bindText(18, message.fallback)
        insert.bind(19, message.fallbackAfter.map { Int64($0.timeInterval * 1_000) })
        insert.bind(20, message.previousID)
        try insert.run()
        let seq = db.lastInsertRowID
        let detail = message.previousID.map { "fallback: the attempt after \($0)" }
        try Self.event(seq, .queued, detail: detail, at: nowMS, db)
        let sendAfter = max(message.sendAt?.millisecondsSince1970 ?? nowMS, nowMS)
        let outbox = try db.statement("""
            INSERT INTO outbox (message_seq, conversation, send_after, due_at, traceparent) VALUES (?, ?, ?, ?, ?)
            """)
        outbox.bind(1, seq)
        outbox.bind(2, "\(message.tenant)|\(message.channel.rawValue)|\(message.to)")
        outbox.bind(3, sendAfter)
        outbox.bind(4, sendAfter)
        outbox.bind(5, TraceParent.of())  // the queuing task's (`SQLiteStore.write` carries it here)
        try outbox.run()
        let select = try db.statement("SELECT \(Self.columns) FROM messages m WHERE m.seq = ?")
        select.bind(1, seq)
        guard try select.step() else { throw StoreError(kind: .other, message: "the message just written is missing") }
        var record = Self.record(select)
        record.events = [.init(status: .queued, detail: detail, at: Date(millisecondsSince1970: nowMS))]
        return record
    }

    /// A history event; a status the tenant hears of (`message.*`) also raises its webhook event, in the same commit.
    static func event(_ seq: Int64, _ status: MessageStatus, detail: String?, at: Int64, _ db: SQLiteConnection) throws {
        let insert = try db.statement("INSERT INTO message_events (message_seq, status, detail, at) VALUES (?, ?, ?, ?)")
        insert.bind(1, seq)
        insert.bind(2, status.rawValue)
        insert.bind(3, detail)
        insert.bind(4, at)
        try insert.run()
        try WebhookEvents.messageStatus(seq, status, at: at, db)
    }

    // MARK: Reading

    func message(id: String, tenant: String?) async throws -> MessageRecord? {
        try await database.read { db in
            let select = try db.statement("SELECT \(Self.columns) FROM messages m WHERE m.id = ?")
            select.bind(1, id)
            guard try select.step() else { return nil }
            var message = Self.record(select)
            if let tenant, message.tenant != tenant { return nil }
            let events = try db.statement("SELECT status, detail, at FROM message_events WHERE message_seq = ? ORDER BY id")
            events.bind(1, message.sequence)
            while try events.step() {
                message.events.append(.init(status: MessageStatus(rawValue: events.string(0) ?? "") ?? .queued, detail: events.string(1),
                                            at: Date(millisecondsSince1970: events.int64(2))))
            }
            return message
        }
    }

    func message(tenant: String, idempotencyKey: String) async throws -> MessageRecord? {
        let id = try await database.read { db -> String? in
            let select = try db.statement("SELECT id FROM messages WHERE tenant = ? AND idempotency_key = ?")
            select.bind(1, tenant)
            select.bind(2, idempotencyKey)
            return try select.step() ? select.string(0) : nil
        }
        guard let id else { return nil }
        return try await message(id: id, tenant: tenant)
    }

    /// A tenant's messages, newest first, below the sequence number `before`; optionally of one status.
    func messages(tenant: String, status: MessageStatus?, before: Int64?, limit: Int) async throws -> [MessageRecord] {
        try await database.read { db in
            let select = try db.statement("""
                SELECT \(Self.columns) FROM messages m WHERE m.tenant = ?1 AND m.seq < ?2 AND (?3 IS NULL OR m.status = ?3)
                ORDER BY m.seq DESC LIMIT ?4
                """)
            select.bind(1, tenant)
            select.bind(2, before ?? Int64.max)
            select.bind(3, status?.rawValue)
            select.bind(4, limit)
            var messages: [MessageRecord] = []
            while try select.step() { messages.append(Self.record(select)) }
            return messages
        }
    }

    /// Outbox rows left (due or not).
    /// Whether the message still has an outbox row (its sending is still to happen or under way).
    func hasOutboxRow(messageSequence seq: Int64) async throws -> Bool {
        try await database.read { db in
            let select = try db.statement("SELECT 1 FROM outbox WHERE message_seq = ?")
            select.bind(1, seq)
            defer { select.reset() }
            return try select.step()
        }
    }

    func outboxCount() async throws -> Int {
        try await database.read { db in Int(try db.scalar("SELECT count(*) FROM outbox") ?? 0) }
    }

    /// When the next outbox row can be claimed: the first row of each conversation, once it is
    /// due and not leased (nil: the outbox is empty).
    func nextClaimable() async throws -> Date? {
        try await database.read { db in
            try db.scalar("""
                SELECT min(max(o.due_at, coalesce(o.lease_until, 0))) FROM outbox o
                WHERE NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation = o.conversation
                                  AND (p.send_after < o.send_after OR (p.send_after = o.send_after AND p.id < o.id)))
                """).map(Date.init(millisecondsSince1970:))
        }
    }
}
