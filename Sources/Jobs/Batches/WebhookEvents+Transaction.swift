import Foundation
import Runtime

// A bridge, until WebhookEvents moves onto the storage seam (its `emit` still takes an SQLite
// connection, which a `Transaction` does not hand out outside Runtime): the same statements as
// `WebhookEvents.emit(_:tenant:data:at:_:)`, written against `Transaction`, so a batch's end
// raises `batch.completed` in its own commit on either backend. Delete this file once
// `WebhookEvents.emit` takes a `Transaction` (the two would then clash).
extension WebhookEvents {
    private static let bridgeEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Raises `type` for `tenant` with `data` inside `tx`; returns the event's id, or nil when no endpoint wants it.
    @discardableResult
    static func emit(_ type: WebhookEventType, tenant: String, data: some Encodable, at: Int64, _ tx: Transaction) throws -> String? {
        let endpoints = try tx.all("""
            SELECT seq, events FROM webhook_endpoints WHERE tenant = \(tenant) AND deleted_at IS NULL
            """) { row in (seq: row["seq"] as Int64, events: row["events"] as String) }
        let subscribed = endpoints.filter { $0.events.split(separator: " ").contains(where: type.matches) }
        guard !subscribed.isEmpty else { return nil }
        let id = PublicID.make(prefix: "evt_")
        let timestamp = Date(millisecondsSince1970: at).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        let body = String(decoding: try bridgeEncoder.encode(Body(type: type.rawValue, timestamp: timestamp, data: data)), as: UTF8.self)
        // Keyed `seq` (its `id` is the public one), so not `insertReturningID`: RETURNING runs on both.
        guard let event = try tx.first("""
            INSERT INTO webhook_events (id, tenant, type, body, created_at, traceparent)
            VALUES (\(id), \(tenant), \(type.rawValue), \(body), \(at), \(TraceParent.of()))
            RETURNING seq
            """, { $0["seq"] as Int64 }) else { throw StoreError(kind: .constraint, message: "the event insert made no row") }
        for endpoint in subscribed {
            _ = try tx.run("""
                INSERT INTO webhook_deliveries (event_seq, endpoint_seq, state, due_at, created_at)
                VALUES (\(event), \(endpoint.seq), 'pending', \(at), \(at))
                """)
        }
        return id
    }
}
