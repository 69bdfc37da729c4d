public import Foundation
public import Runtime

/// A recipient a tenant must not send to on a channel: they replied STOP, the provider said
/// they unsubscribed (Twilio 21610), or an operator put them there.
public struct Suppression: Sendable, Equatable {
    public var id: Int64
    public var channel: Channel
    public var address: String
    public var reason: String
    public var createdAt: Date
}

/// The tenants' suppression lists (per tenant, channel and address). `Messages.accept` checks
/// them before anything is held or charged; STOP-family replies and Twilio's 21610 add to them,
/// START-family replies and `remove` take away.
public struct Suppressions: Sendable {
    public static let migrations: [Migration] = [
        Migration(version: 331, name: "suppressions", sql: """
            CREATE TABLE suppressions (
                id         INTEGER PRIMARY KEY,
                tenant     TEXT    NOT NULL,
                channel    TEXT    NOT NULL,
                address    TEXT    NOT NULL,
                reason     TEXT    NOT NULL,
                created_at INTEGER NOT NULL,
                UNIQUE (tenant, channel, address)
            );
            -- An inbound STOP finds the tenants that sent to its sender from that number.
            CREATE INDEX messages_recipient ON messages (recipient, sender, channel);
            """),
    ]

    /// Replies that opt the sender out, and back in (Twilio's own keywords).
    static let stopWords: Set<String> = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
    static let startWords: Set<String> = ["START", "YES", "UNSTOP"]

    let backend: any Backend

    public init(backend: any Backend) { self.backend = backend }

    /// The form addresses are kept in: no `whatsapp:` prefix, e-mail in lower case, no spaces around.
    public static func normalized(_ address: String, channel: Channel) -> String {
        var text = address.trimmingCharacters(in: .whitespaces)
        if text.lowercased().hasPrefix("whatsapp:") { text = String(text.dropFirst("whatsapp:".count)) }
        return channel == .email ? text.lowercased() : text
    }

    public func isSuppressed(tenant: String, channel: Channel, address: String) async throws -> Bool {
        let address = Self.normalized(address, channel: channel)
        return try await backend.read { tx in
            try tx.first("""
                SELECT 1 AS found FROM suppressions WHERE tenant = \(tenant) AND channel = \(channel.rawValue) AND address = \(address)
                """, { $0["found"] as Bool }) ?? false
        }
    }

    /// The tenant's list, newest first, `limit` after the cursor `before`.
    public func list(tenant: String, before: Int64?, limit: Int) async throws -> [Suppression] {
        try await backend.read { tx in
            try tx.all("""
                SELECT id, channel, address, reason, created_at FROM suppressions
                WHERE tenant = \(tenant) AND id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(limit)
                """) { row in
                Suppression(id: row["id"], channel: Channel(rawValue: row["channel"]) ?? .sms, address: row["address"],
                            reason: row["reason"], createdAt: Date(millisecondsSince1970: row["created_at"]))
            }
        }
    }

    /// Takes a recipient off the list; false if it was not on it.
    public func remove(tenant: String, channel: Channel, address: String) async throws -> Bool {
        let address = Self.normalized(address, channel: channel)
        return try await backend.write { tx in try Self.remove(tenant: tenant, channel: channel, address: address, tx) }
    }

    /// An inbound reply from `address` to our `sender`: a STOP-family word opts it out, a
    /// START-family word back in, for every tenant that sent to it from that sender. Returns
    /// what it did (nil for any other text).
    public func applyReply(from address: String, to sender: String, body: String, channel: Channel, now: Date)
        async throws -> (optedOut: Bool, tenants: Int)? {
        let word = body.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        let stop = Self.stopWords.contains(word)
        guard stop || Self.startWords.contains(word) else { return nil }
        let address = Self.normalized(address, channel: channel), sender = Self.normalized(sender, channel: channel)
        let at = now.millisecondsSince1970
        let count = try await backend.write { tx in
            let tenants = try tx.all("""
                SELECT DISTINCT tenant FROM messages WHERE channel = \(channel.rawValue) AND recipient = \(address) AND sender = \(sender)
                """) { $0["tenant"] as String }
            for tenant in tenants {
                if stop {
                    try Self.add(tenant: tenant, channel: channel, address: address, reason: "replied \(word)", at: at, tx)
                } else {
                    // START undoes a STOP only: bounces, 21610 and an operator's entries stay.
                    try tx.run("""
                        DELETE FROM suppressions WHERE tenant = \(tenant) AND channel = \(channel.rawValue) AND address = \(address)
                          AND reason LIKE 'replied %'
                        """)
                }
            }
            return tenants.count
        }
        return (stop, count)
    }

    /// Puts a recipient on a tenant's list inside the caller's transaction (kept as first put there).
    static func add(tenant: String, channel: Channel, address: String, reason: String, at: Int64, _ tx: Transaction) throws {
        try tx.run("""
            INSERT INTO suppressions (tenant, channel, address, reason, created_at)
            VALUES (\(tenant), \(channel.rawValue), \(normalized(address, channel: channel)), \(reason), \(at))
            ON CONFLICT (tenant, channel, address) DO NOTHING
            """)
    }

    private static func remove(tenant: String, channel: Channel, address: String, _ tx: Transaction) throws -> Bool {
        try tx.run("DELETE FROM suppressions WHERE tenant = \(tenant) AND channel = \(channel.rawValue) AND address = \(address)") == 1
    }
}
