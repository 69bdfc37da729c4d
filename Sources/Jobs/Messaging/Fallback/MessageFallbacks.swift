import Foundation
public import Logging
public import Runtime

/// Sends the next channel of messages whose attempt ended without delivery. A message with
/// fallback steps gets a due time when it ends `failed` or `undelivered` (now) or is `sent`
/// (now + its `fallbackAfter`); a `delivered` clears it, and also cancels a next attempt not yet
/// sent (`OutboxStore.advance`). Each pass takes the due messages and accepts the next step as a
/// message of its own — its own price and hold, idempotent by the previous message's id, so a
/// pass repeated after a crash makes no second attempt — and links the two. A step that cannot
/// be sent (suppressed, no credit, no provider) is noted in the history and the next is tried.
public struct MessageFallbacks: Sendable {
    public static let migrations: [Migration] = [
        Migration(version: 340, name: "message fallback", sql: """
            ALTER TABLE messages ADD COLUMN fallback TEXT;
            ALTER TABLE messages ADD COLUMN fallback_after INTEGER;
            ALTER TABLE messages ADD COLUMN fallback_due_at INTEGER;
            ALTER TABLE messages ADD COLUMN previous_id TEXT;
            ALTER TABLE messages ADD COLUMN next_id TEXT;
            CREATE INDEX messages_fallback_due ON messages (fallback_due_at) WHERE fallback_due_at IS NOT NULL;
            """),
    ]

    let messages: Messages
    let backend: any Backend
    let clock: any WallClock
    let logger: Logger

    public init(hub: MessagingHub, backend: any Backend, wallets: Wallets, logger: Logger = Logger(label: "switchboard.fallback")) {
        messages = Messages(hub: hub, backend: backend, wallets: wallets)
        self.backend = backend
        clock = hub.clock
        self.logger = logger
    }

    static let batchSize = 100
    /// How long a pass holds the messages it took (their due time moved this far on): another
    /// pass, here or in another instance, leaves them alone meanwhile; one that died is taken
    /// over after it. Each is done (its due time set again) long before.
    static let lease: Int64 = 120_000
    static let decoder = JSONDecoder()
    static let encoder = JSONEncoder()

    /// The idempotency key of the attempt after `id` (not a key a client can send: it has a space).
    static func key(after id: String) -> String { "fallback after " + id }

    struct Due: Sendable {
        var seq: Int64
        var id: String
        var tenant: String
        var channel: String
        var status: String
        var steps: [FallbackStep]
        var after: Int64?
    }

    /// Takes every due message (up to a batch); how many next attempts it made. The messages
    /// are taken under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, then their due time
    /// moved past the lease in the same commit), so two passes never work on the same one.
    @discardableResult
    public func pass() async throws -> Int {
        let now = clock.now().millisecondsSince1970
        let due = try await backend.write { tx in
            let due = try tx.all("""
                SELECT seq, id, tenant, channel, status, fallback, fallback_after FROM messages
                WHERE fallback_due_at <= \(now) ORDER BY fallback_due_at LIMIT \(Self.batchSize)\(raw: tx.dialect.skipLocked)
                """) { row in
                Due(seq: row["seq"], id: row["id"], tenant: row["tenant"], channel: row["channel"], status: row["status"],
                    steps: (try? Self.decoder.decode([FallbackStep].self, from: Data((row["fallback"] as String? ?? "[]").utf8))) ?? [],
                    after: row["fallback_after"])
            }
            try tx.run("UPDATE messages SET fallback_due_at = \(now + Self.lease) WHERE seq IN (\(list: due.map(\.seq)))")
            return due
        }
        var made = 0
        for message in due {
            do {
                if try await next(message, now: now) { made += 1 }
            } catch {
                logger.error("could not send a message's fallback", metadata: ["message": "\(message.id)", "error": "\(error)"])
            }
        }
        return made
    }

    /// Accepts the next step of `message` that can be sent; true if one was.
    private func next(_ message: Due, now: Int64) async throws -> Bool {
        var steps = message.steps
        while !steps.isEmpty {
            let step = steps.removeFirst()
            let request = Messages.Request(channel: step.channel, to: step.to ?? "", subject: step.subject, body: step.templateID == nil ? step.body : nil,
                                           templateID: step.templateID, variables: step.variables, fallback: steps,
                                           fallbackAfter: message.after.map { .milliseconds($0) }, previousID: message.id)
            let why = "\(message.channel) ended \(message.status)"
            do {
                let (next, _) = try await messages.accept(request, tenant: message.tenant, idempotencyKey: Self.key(after: message.id))
                try await record(message.seq, detail: "fallback (\(why)): next attempt \(next.id) by \(step.channel.rawValue)", next: next.id,
                                 remaining: nil, now: now)
                return true
            } catch let error as Messages.Suppressed {
                try await record(message.seq, detail: "fallback by \(error.channel.rawValue) not sent: the recipient opted out", next: nil,
                                 remaining: steps, now: now)
            } catch let error as Messages.Invalid {
                try await record(message.seq, detail: "fallback by \(step.channel.rawValue) not sent: \(error.message)", next: nil,
                                 remaining: steps, now: now)
            } catch let error as Messages.NoProvider {
                try await record(message.seq, detail: "fallback by \(error.channel.rawValue) not sent: no provider", next: nil,
                                 remaining: steps, now: now)
            } catch let error as WalletError {
                try await record(message.seq, detail: "fallback by \(step.channel.rawValue) not sent: \(error.message)", next: nil,
                                 remaining: steps, now: now)
            }
        }
        return false
    }

    /// Links the next attempt (or drops the step that could not be sent) and notes it in the
    /// message's history; the message's fallback is done once no step remains.
    private func record(_ seq: Int64, detail: String, next: String?, remaining: [FallbackStep]?, now: Int64) async throws {
        let rest = try remaining.flatMap { $0.isEmpty ? nil : String(decoding: try Self.encoder.encode($0), as: UTF8.self) }
        let dueAt: Int64? = rest == nil ? nil : now
        try await backend.write { tx in
            try tx.run("""
                UPDATE messages SET next_id = coalesce(next_id, \(next)), fallback = \(rest), fallback_due_at = \(dueAt)
                WHERE seq = \(seq)
                """)
            try tx.run("""
                INSERT INTO message_events (message_seq, status, detail, at)
                SELECT seq, status, \(detail), \(now) FROM messages WHERE seq = \(seq)
                """)
            // Delivered while the next attempt was being made: that attempt is not needed.
            if next != nil, try tx.first("SELECT status FROM messages WHERE seq = \(seq)", { $0["status"] as String }) == "delivered" {
                _ = try Self.cancelNext(of: seq, at: now, tx)
            }
        }
    }

    /// In the transaction of a status change of message `seq`: schedules, clears or ends its
    /// fallback, and once it is delivered cancels a next attempt not yet sent. Returns the
    /// sequence number of the cancelled attempt, if any.
    @discardableResult
    static func statusChanged(_ seq: Int64, to status: MessageStatus, at: Int64, _ tx: Transaction) throws -> Int64? {
        let dueAt: SQL = switch status {
        case .failed, .undelivered: "\(at)"
        case .sent: "CASE WHEN fallback_after IS NOT NULL THEN \(at) + fallback_after END"
        default: "NULL"
        }
        try tx.run("UPDATE messages SET fallback_due_at = \(dueAt) WHERE seq = \(seq) AND fallback IS NOT NULL AND next_id IS NULL")
        return status == .delivered ? try cancelNext(of: seq, at: at, tx) : nil
    }

    /// Cancels the next attempt of delivered message `seq` if it is still waiting to be sent
    /// (its hold is released by `OutboxRelay.reconcileHolds`); its sequence number if it was.
    static func cancelNext(of seq: Int64, at: Int64, _ tx: Transaction) throws -> Int64? {
        guard let next = try tx.first("""
                SELECT n.seq FROM messages m JOIN messages n ON n.id = m.next_id WHERE m.seq = \(seq) AND n.status = 'queued'
                """, { $0["seq"] as Int64 }),
              try tx.run("DELETE FROM outbox WHERE message_seq = \(next) AND lease_owner IS NULL") == 1
        else { return nil }
        try OutboxStore.advance(next, to: .cancelled, detail: "an earlier attempt was delivered", at: at, tx)
        return next
    }
}
