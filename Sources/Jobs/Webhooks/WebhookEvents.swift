import Foundation
import Runtime

/// The events a tenant's endpoints can subscribe to. An endpoint names types exactly, by area
/// (`message.*`) or all (`*`).
public enum WebhookEventType: String, Sendable, CaseIterable, Codable {
    case messageQueued = "message.queued"
    case messageSent = "message.sent"
    case messageDelivered = "message.delivered"
    case messageUndelivered = "message.undelivered"
    case messageFailed = "message.failed"
    /// A batch ended; `data.status` says how (completed, cancelled, expired or failed).
    case batchCompleted = "batch.completed"
    case walletLowBalance = "wallet.low_balance"

    /// Whether a subscription entry (`message.sent`, `message.*`, `*`) takes this type.
    func matches(_ pattern: Substring) -> Bool {
        if pattern == "*" || pattern == rawValue { return true }
        return pattern.hasSuffix(".*") && rawValue.hasPrefix(pattern.dropLast())
    }

    /// Whether `pattern` is a valid subscription entry.
    static func isValidPattern(_ pattern: String) -> Bool {
        pattern == "*" || allCases.contains { $0.rawValue == pattern }
            || (pattern.hasSuffix(".*") && allCases.contains { $0.rawValue.hasPrefix(pattern.dropLast()) })
    }

    /// The event a message's new status raises, if any.
    init?(messageStatus: MessageStatus) {
        switch messageStatus {
        case .queued: self = .messageQueued
        case .sent: self = .messageSent
        case .delivered: self = .messageDelivered
        case .undelivered: self = .messageUndelivered
        case .failed: self = .messageFailed
        case .sending, .cancelled: return nil
        }
    }
}

/// Raises tenant webhook events inside the caller's transaction: the event and one pending
/// delivery per subscribed endpoint commit with the change they report, so an event is never
/// lost nor raised for a change that rolled back. A tenant without a subscribed endpoint costs
/// one indexed lookup and stores nothing.
public enum WebhookEvents {
    /// The body every delivery of an event carries (Standard Webhooks' `type`, `timestamp`, `data`).
    struct Body<Data: Encodable>: Encodable {
        var type: String
        var timestamp: String
        var data: Data
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Raises `type` for `tenant` with `data`; returns the event's id, or nil when no endpoint wants it.
    @discardableResult
    static func emit(_ type: WebhookEventType, tenant: String, data: some Encodable, at: Int64, _ tx: Transaction) throws -> String? {
        let endpoints = try tx.all("""
            SELECT seq, events FROM webhook_endpoints WHERE tenant = \(tenant) AND deleted_at IS NULL
            """) { row in (seq: row["seq"] as Int64, events: row["events"] as String) }
        let subscribed = endpoints.filter { $0.events.split(separator: " ").contains(where: type.matches) }
        guard !subscribed.isEmpty else { return nil }
        let id = PublicID.make(prefix: "evt_")
        let timestamp = Date(millisecondsSince1970: at).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        let body = String(decoding: try encoder.encode(Body(type: type.rawValue, timestamp: timestamp, data: data)), as: UTF8.self)
        // The trace of the task whose write raises the event (`Backend.write` carries it here).
        let traceparent = TraceParent.of()
        guard let event = try tx.first("""
            INSERT INTO webhook_events (id, tenant, type, body, created_at, traceparent)
            VALUES (\(id), \(tenant), \(type.rawValue), \(body), \(at), \(traceparent))
            RETURNING seq
            """, { $0["seq"] as Int64 }) else { throw StoreError(kind: .other, message: "the webhook event made no row") }
        for endpoint in subscribed {
            try tx.run("""
                INSERT INTO webhook_deliveries (event_seq, endpoint_seq, state, due_at, created_at)
                VALUES (\(event), \(endpoint.seq), 'pending', \(at), \(at))
                """)
        }
        return id
    }

    /// What a message event says of its message.
    struct MessageData: Encodable {
        var id: String
        var channel: String
        var to: String
        var status: String
        var providerMessageId: String?
        var errorCode: String?
    }

    /// Raises the event of message `seq`'s new `status` (if it has one). The message is read
    /// only when its tenant has an endpoint, so for most tenants a status change costs one
    /// indexed lookup here.
    static func messageStatus(_ seq: Int64, _ status: MessageStatus, at: Int64, _ tx: Transaction) throws {
        guard let type = WebhookEventType(messageStatus: status),
              let message = try tx.first("""
                SELECT id, tenant, channel, recipient, provider_message_id, error_code FROM messages m
                WHERE seq = \(seq) AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.tenant = m.tenant AND e.deleted_at IS NULL)
                """, { row in
                    (tenant: row["tenant"] as String,
                     data: MessageData(id: row["id"], channel: row["channel"], to: row["recipient"], status: status.rawValue,
                                       providerMessageId: row["provider_message_id"], errorCode: row["error_code"]))
                })
        else { return }
        try emit(type, tenant: message.tenant, data: message.data, at: at, tx)
    }
}
