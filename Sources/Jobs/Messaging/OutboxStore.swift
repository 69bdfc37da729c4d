import Foundation
import Runtime

/// The relay's SQL: claim due outbox rows under a lease, then settle each claimed row as sent,
/// retried later or failed. Every statement checks the lease, so a relay that lost its lease
/// (it was too slow, or presumed dead) cannot undo what another relay did since.
struct OutboxStore: Sendable {
    let backend: any Backend

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
    /// On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`: a row another instance is
    /// claiming is skipped, and once it commits its lease keeps the row out of every claim.
    func claim(owner: String, limit: Int, now: Date, leaseUntil: Date) async throws -> [Claimed] {
        try await backend.write { tx in
            let nowMS = now.millisecondsSince1970
            let rows = try tx.all("""
                UPDATE outbox SET lease_owner = \(owner), lease_until = \(leaseUntil.millisecondsSince1970)
                WHERE id IN (
                    SELECT o.id FROM outbox o
                    WHERE o.due_at <= \(nowMS) AND (o.lease_until IS NULL OR o.lease_until <= \(nowMS))
                      AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation = o.conversation
                                      AND (p.send_after < o.send_after OR (p.send_after = o.send_after AND p.id < o.id)))
                    ORDER BY o.due_at, o.id LIMIT \(limit)\(raw: tx.dialect.skipLocked))
                  AND (lease_until IS NULL OR lease_until <= \(nowMS))
                RETURNING id, message_seq, traceparent
                """) { row in (id: row["id"] as Int64, seq: row["message_seq"] as Int64, traceparent: row["traceparent"] as String?) }
            var claimed: [Claimed] = []
            claimed.reserveCapacity(rows.count)
            for row in rows {
                guard let (loaded, holdID, template) = try tx.first("""
                    SELECT \(raw: MessageStore.columns), m.hold_id, t.provider_template_id
                    FROM messages m LEFT JOIN templates t ON t.id = m.template_id WHERE m.seq = \(row.seq)
                    """, { (MessageStore.record($0), $0["hold_id"] as Int64?, $0["provider_template_id"] as String?) })
                else { continue }
                var message = loaded
                if try tx.run("UPDATE messages SET status = 'sending', updated_at = \(nowMS) WHERE seq = \(row.seq) AND status = 'queued'") == 1 {
                    message.status = .sending
                    try MessageStore.event(row.seq, .sending, detail: nil, at: nowMS, tx)
                }
                claimed.append(Claimed(outboxID: row.id, message: message, holdID: holdID, providerTemplateID: template,
                                       traceparent: row.traceparent, owner: owner))
            }
            return claimed
        }
    }

    /// The provider took it: the row leaves the outbox; the message is `sent` (or further, if
    /// the provider said so), with the provider's id.
    func sent(_ claimed: Claimed, owner: String, providerMessageID: String, status: MessageStatus, now: Date) async throws {
        try await backend.write { tx in
            try Self.release(claimed.outboxID, owner: owner, tx)
            let nowMS = now.millisecondsSince1970
            try tx.run("""
                UPDATE messages SET provider_message_id = \(providerMessageID), attempts = attempts + 1, updated_at = \(nowMS)
                WHERE seq = \(claimed.message.sequence)
                """)
            try Self.advance(claimed.message.sequence, to: .sent, detail: "provider id \(providerMessageID)", at: nowMS, tx)
            if status.rank > MessageStatus.sent.rank { try Self.advance(claimed.message.sequence, to: status, detail: nil, at: nowMS, tx) }
        }
    }

    /// A transient failure: the row stays, due again at `dueAt`, its lease given back.
    func retry(_ claimed: Claimed, owner: String, dueAt: Date, error: MessagingError, countsAsAttempt: Bool, now: Date) async throws {
        try await backend.write { tx in
            guard try tx.run("""
                UPDATE outbox SET due_at = \(dueAt.millisecondsSince1970), lease_owner = NULL, lease_until = NULL
                WHERE id = \(claimed.outboxID) AND lease_owner = \(owner)
                """) == 1 else { return }
            let nowMS = now.millisecondsSince1970
            try tx.run("""
                UPDATE messages SET attempts = attempts + \(countsAsAttempt ? 1 : 0), error_code = \(error.code), error_message = \(error.message),
                                    updated_at = \(nowMS)
                WHERE seq = \(claimed.message.sequence)
                """)
            if countsAsAttempt {
                try MessageStore.event(claimed.message.sequence, .sending, detail: "retry after: \(error.description)", at: nowMS, tx)
            }
        }
    }

    /// A permanent failure (or retries used up): the row leaves the outbox, the message is `failed` with the provider's code.
    func failed(_ claimed: Claimed, owner: String, error: MessagingError, now: Date) async throws {
        try await backend.write { tx in
            try Self.release(claimed.outboxID, owner: owner, tx)
            let nowMS = now.millisecondsSince1970
            try tx.run("""
                UPDATE messages SET attempts = attempts + 1, error_code = \(error.code), error_message = \(error.message), updated_at = \(nowMS)
                WHERE seq = \(claimed.message.sequence)
                """)
            try Self.advance(claimed.message.sequence, to: .failed, detail: error.description, at: nowMS, tx)
            if error.code == Self.unsubscribedCode {
                try Suppressions.add(tenant: claimed.message.tenant, channel: claimed.message.channel, address: claimed.message.to,
                                     reason: "provider error \(Self.unsubscribedCode): the recipient unsubscribed", at: nowMS, tx)
            }
        }
    }

    /// Twilio's "the recipient replied STOP to this sender": no later send to them.
    static let unsubscribedCode = "21610"

    /// Deletes the row if this relay still holds its lease; throws otherwise (nothing else changes).
    private static func release(_ outboxID: Int64, owner: String, _ tx: Transaction) throws {
        guard try tx.run("DELETE FROM outbox WHERE id = \(outboxID) AND lease_owner = \(owner)") == 1 else { throw LeaseLost() }
    }

    /// The relay's lease on a row ran out and another relay may own it now.
    struct LeaseLost: Error {}

    /// Moves the message to `status` if that is forward, with a history event; true if it moved.
    @discardableResult
    static func advance(_ seq: Int64, to status: MessageStatus, detail: String?, at: Int64, _ tx: Transaction) throws -> Bool {
        // Says whether the message is part of a fallback chain, so that the others skip its bookkeeping.
        guard let chained = try tx.first("""
            UPDATE messages SET status = \(status.rawValue), updated_at = \(at) WHERE seq = \(seq) AND
                CASE status WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END < \(status.rank)
            RETURNING fallback IS NOT NULL OR next_id IS NOT NULL AS chained
            """, { $0["chained"] as Bool })
        else { return false }
        try MessageStore.event(seq, status, detail: detail, at: at, tx)
        if chained { try MessageFallbacks.statusChanged(seq, to: status, at: at, tx) }
        return true
    }
}
