import Foundation
import Runtime

/// The relay's SQL: claim due outbox rows under a lease, then settle each claimed row as sent,
/// retried later or failed. Every statement checks the lease, so a relay that lost its lease
/// (it was too slow, or presumed dead) cannot undo what another relay did since.
struct OutboxStore: Sendable {
    let database: SQLiteStore

    /// A claimed row with what sending needs.
    struct Claimed: Sendable {
        var outboxID: Int64
        var message: MessageRecord
        var holdID: Int64?
        /// The provider's template id, for a template message.
        var providerTemplateID: String?
        /// The trace of the request that queued the message.
        var traceparent: String?
        /// The lease owner it was claimed under: only its word (sent, retry, failed) counts.
        var owner: String
    }

    /// Leases up to `limit` due rows to `owner` until `leaseUntil`: only the first unsent
    /// message of each conversation (tenant, channel, recipient) — by `send_after`, then id —
    /// is claimable, whether or not that first one is leased. Claimed messages become `sending`.
    func claim(owner: String, limit: Int, now: Date, leaseUntil: Date) async throws -> [Claimed] {
        try await database.write { db in
            let nowMS = now.millisecondsSince1970
            let claim = try db.statement("""
                UPDATE outbox SET lease_owner = ?1, lease_until = ?2
                WHERE id IN (
                    SELECT o.id FROM outbox o
                    WHERE o.due_at <= ?3 AND (o.lease_until IS NULL OR o.lease_until <= ?3)
                      AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation = o.conversation
                                      AND (p.send_after < o.send_after OR (p.send_after = o.send_after AND p.id < o.id)))
                    ORDER BY o.due_at, o.id LIMIT ?4)
                RETURNING id, message_seq, traceparent
                """)
            claim.bind(1, owner)
            claim.bind(2, leaseUntil.millisecondsSince1970)
            claim.bind(3, nowMS)
            claim.bind(4, limit)
            var rows: [(Int64, Int64, String?)] = []
            while try claim.step() { rows.append((claim.int64(0), claim.int64(1), claim.string(2))) }
            guard !rows.isEmpty else { return [] }
            let load = try db.statement("""
                SELECT \(MessageStore.columns), m.hold_id, t.provider_template_id
                FROM messages m LEFT JOIN templates t ON t.id = m.template_id WHERE m.seq = ?
                """)
            let sending = try db.statement("UPDATE messages SET status = 'sending', updated_at = ? WHERE seq = ? AND status = 'queued'")
            var claimed: [Claimed] = []
            claimed.reserveCapacity(rows.count)
            for (outboxID, seq, traceparent) in rows {
                load.reset()
                load.bind(1, seq)
                guard try load.step() else { continue }
                var message = MessageStore.record(load)
                let holdID = load.optionalInt64(MessageStore.columnCount), template = load.string(MessageStore.columnCount + 1)
                sending.reset()
                sending.bind(1, nowMS)
                sending.bind(2, seq)
                try sending.run()
                if db.changes == 1 {
                    message.status = .sending
                    try MessageStore.event(seq, .sending, detail: nil, at: nowMS, db)
                }
                claimed.append(Claimed(outboxID: outboxID, message: message, holdID: holdID, providerTemplateID: template,
                                       traceparent: traceparent, owner: owner))
            }
            return claimed
        }
    }

    /// The provider took it: the row leaves the outbox; the message is `sent` (or further, if
    /// the provider said so), with the provider's id.
    func sent(_ claimed: Claimed, owner: String, providerMessageID: String, status: MessageStatus, now: Date) async throws {
        try await database.write { db in
            try Self.release(claimed.outboxID, owner: owner, db)
            let nowMS = now.millisecondsSince1970
            let update = try db.statement("""
                UPDATE messages SET provider_message_id = ?, attempts = attempts + 1, updated_at = ? WHERE seq = ?
                """)
            update.bind(1, providerMessageID)
            update.bind(2, nowMS)
            update.bind(3, claimed.message.sequence)
            try update.run()
            try Self.advance(claimed.message.sequence, to: .sent, detail: "provider id \(providerMessageID)", at: nowMS, db)
            if status.rank > MessageStatus.sent.rank { try Self.advance(claimed.message.sequence, to: status, detail: nil, at: nowMS, db) }
        }
    }

    /// A transient failure: the row stays, due again at `dueAt`, its lease given back.
    func retry(_ claimed: Claimed, owner: String, dueAt: Date, error: MessagingError, countsAsAttempt: Bool, now: Date) async throws {
        try await database.write { db in
            let update = try db.statement("""
                UPDATE outbox SET due_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?
                """)
            update.bind(1, dueAt.millisecondsSince1970)
            update.bind(2, claimed.outboxID)
            update.bind(3, owner)
            try update.run()
            guard db.changes == 1 else { return }
            let nowMS = now.millisecondsSince1970
            let message = try db.statement("""
                UPDATE messages SET attempts = attempts + ?, error_code = ?, error_message = ?, updated_at = ? WHERE seq = ?
                """)
            message.bind(1, countsAsAttempt ? 1 : 0)
            message.bind(2, error.code)
            message.bind(3, error.message)
            message.bind(4, nowMS)
            message.bind(5, claimed.message.sequence)
            try message.run()
            if countsAsAttempt {
                try MessageStore.event(claimed.message.sequence, .sending, detail: "retry after: \(error.description)", at: nowMS, db)
            }
        }
    }

    /// A permanent failure (or retries used up): the row leaves the outbox, the message is `failed` with the provider's code.
    func failed(_ claimed: Claimed, owner: String, error: MessagingError, now: Date) async throws {
        try await database.write { db in
            try Self.release(claimed.outboxID, owner: owner, db)
            let nowMS = now.millisecondsSince1970
            let message = try db.statement("""
                UPDATE messages SET attempts = attempts + 1, error_code = ?, error_message = ?, updated_at = ? WHERE seq = ?
                """)
            message.bind(1, error.code)
            message.bind(2, error.message)
            message.bind(3, nowMS)
            message.bind(4, claimed.message.sequence)
            try message.run()
            try Self.advance(claimed.message.sequence, to: .failed, detail: error.description, at: nowMS, db)
            if error.code == Self.unsubscribedCode {
                try Suppressions.add(tenant: claimed.message.tenant, channel: claimed.message.channel, address: claimed.message.to,
                                     reason: "provider error \(Self.unsubscribedCode): the recipient unsubscribed", at: nowMS, db)
            }
        }
    }

    /// Twilio's "the recipient replied STOP to this sender": no later send to them.
    static let unsubscribedCode = "21610"

    /// Deletes the row if this relay still holds its lease; throws otherwise (nothing else changes).
    private static func release(_ outboxID: Int64, owner: String, _ db: SQLiteConnection) throws {
        let delete = try db.statement("DELETE FROM outbox WHERE id = ? AND lease_owner = ?")
        delete.bind(1, outboxID)
        delete.bind(2, owner)
        try delete.run()
        guard db.changes == 1 else { throw LeaseLost() }
    }

    /// The relay's lease on a row ran out and another relay may own it now.
    struct LeaseLost: Error {}

    /// Moves the message to `status` if that is forward, with a history event; true if it moved.
    @discardableResult
    static func advance(_ seq: Int64, to status: MessageStatus, detail: String?, at: Int64, _ db: SQLiteConnection) throws -> Bool {
        // Says whether the message is part of a fallback chain, so that the others skip its bookkeeping.
        guard let chained = try db.first("""
            UPDATE messages SET status = \(status.rawValue), updated_at = \(at) WHERE seq = \(seq) AND
                CASE status WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END < \(status.rank)
            RETURNING fallback IS NOT NULL OR next_id IS NOT NULL AS chained
            """, { $0["chained"] as Bool })
        else { return false }
        try MessageStore.event(seq, status, detail: detail, at: at, db)
        if chained { try MessageFallbacks.statusChanged(seq, to: status, at: at, db) }
        return true
    }
}
