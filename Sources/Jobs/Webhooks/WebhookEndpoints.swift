public import Foundation
public import Runtime

/// A tenant's webhook endpoint: where its events go and which it wants. The signing secret is
/// only in `created` (shown once).
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: String
    public var sequence: Int64
    public var url: String
    public var events: [String]
    public var description: String?
    public var createdAt: Date
}

/// One event's delivery to one endpoint, with its attempts (newest last).
public struct WebhookDelivery: Sendable, Equatable {
    public enum State: String, Sendable { case pending, delivered, failed }

    public struct Attempt: Sendable, Equatable {
        public var at: Date
        public var statusCode: Int?
        public var error: String?
        public var durationMilliseconds: Int64
    }

    public var id: Int64
    public var eventID: String
    public var eventType: String
    public var state: State
    public var attempts: Int
    public var lastStatusCode: Int?
    public var lastError: String?
    /// When the next attempt is due (pending only).
    public var nextAttemptAt: Date?
    public var createdAt: Date
    public var finishedAt: Date?
    public var log: [Attempt]
}

/// The tenants' webhook endpoints: create (the URL checked by `WebhookURLPolicy`, the secret
/// made here and returned once), list, delete (its pending deliveries end `failed`), and each
/// endpoint's delivery log. Every call is scoped to one tenant: another tenant's endpoint is
/// not found.
public struct WebhookEndpoints: Sendable {
    /// A request refused for its content (a 400 for the API, naming the field).
    public struct Invalid: Error, Sendable, Equatable {
        public let field: String
        public let message: String
    }

    /// The tenant has as many endpoints as it may (a 409 for the API).
    public struct TooMany: Error, Sendable, Equatable {
        public let limit: Int
    }

    let backend: any Backend
    let policy: WebhookURLPolicy
    let clock: any WallClock

    public init(backend: any Backend, configuration: WebhookConfiguration, clock: any WallClock) {
        self.backend = backend
        policy = WebhookURLPolicy(configuration: configuration)
        self.clock = clock
    }

    static let maxEvents = 20
    static let maxDescriptionBytes = 500

    /// Creates an endpoint; returns it and its signing secret. Throws `WebhookURLPolicy.Refusal`
    /// for a URL that may not be called, `Invalid` for bad events or description, `TooMany`.
    public func create(tenant: String, url: String, events: [String], description: String?) async throws
        -> (endpoint: WebhookEndpoint, secret: String) {
        guard !events.isEmpty, events.count <= Self.maxEvents else {
            throw Invalid(field: "events", message: "events must list 1 to \(Self.maxEvents) event types")
        }
        if let unknown = events.first(where: { !WebhookEventType.isValidPattern($0) }) {
            let known = WebhookEventType.allCases.map(\.rawValue).joined(separator: ", ")
            throw Invalid(field: "events", message: "unknown event type '\(unknown)'; use \(known), message.* or *")
        }
        if let description, description.utf8.count > Self.maxDescriptionBytes {
            throw Invalid(field: "description", message: "description must be at most \(Self.maxDescriptionBytes) bytes")
        }
        let checked = try await policy.check(url).absoluteString
        let id = PublicID.make(prefix: "we_"), secret = WebhookSignature.makeSecret()
        let now = clock.now().millisecondsSince1970
        var seen = Set<String>()
        let subscribed = events.filter { seen.insert($0).inserted }
        let limit = policy.configuration.maxEndpointsPerTenant
        let seq = try await backend.write { tx -> Int64? in
            // On PostgreSQL the tenant's endpoints are locked while counted, so two instances
            // creating at once cannot both pass the limit (a tenant with none locks nothing:
            // then at most one extra can slip in).
            let count = try tx.all("""
                SELECT seq FROM webhook_endpoints WHERE tenant = \(tenant) AND deleted_at IS NULL\(raw: tx.dialect.forUpdate)
                """) { $0["seq"] as Int64 }.count
            guard count < limit else { return nil }
            return try tx.first("""
                INSERT INTO webhook_endpoints (id, tenant, url, events, secret, description, created_at)
                VALUES (\(id), \(tenant), \(checked), \(subscribed.joined(separator: " ")), \(secret), \(description), \(now))
                RETURNING seq
                """) { $0["seq"] as Int64 }
        }
        guard let seq else { throw TooMany(limit: limit) }
        return (WebhookEndpoint(id: id, sequence: seq, url: checked, events: subscribed, description: description,
                                createdAt: Date(millisecondsSince1970: now)), secret)
    }

    /// The tenant's endpoints, newest first, `limit` below the cursor `before`.
    public func list(tenant: String, before: Int64?, limit: Int) async throws -> [WebhookEndpoint] {
        try await backend.read { tx in
            try tx.all("""
                SELECT \(raw: Self.columns) FROM webhook_endpoints
                WHERE tenant = \(tenant) AND deleted_at IS NULL AND seq < \(before ?? Int64.max) ORDER BY seq DESC LIMIT \(limit)
                """, Self.endpoint)
        }
    }

    public func endpoint(_ id: String, tenant: String) async throws -> WebhookEndpoint? {
        try await backend.read { tx in try Self.endpoint(id, tenant: tenant, tx) }
    }

    /// Deletes the endpoint: no new deliveries; its pending ones end `failed`. False if the tenant has no such endpoint.
    public func delete(_ id: String, tenant: String) async throws -> Bool {
        let now = clock.now().millisecondsSince1970
        return try await backend.write { tx in
            guard let endpoint = try Self.endpoint(id, tenant: tenant, tx) else { return false }
            try tx.run("UPDATE webhook_endpoints SET deleted_at = \(now) WHERE seq = \(endpoint.sequence)")
            try tx.run("""
                UPDATE webhook_deliveries SET state = 'failed', due_at = NULL, finished_at = \(now), last_error = 'the endpoint was deleted'
                WHERE endpoint_seq = \(endpoint.sequence) AND state = 'pending'
                """)
            return true
        }
    }

    /// The endpoint's deliveries, newest first, `limit` below the cursor `before`, each with
    /// its last `attemptsShown` attempts; nil when the tenant has no such endpoint.
    public func deliveries(of id: String, tenant: String, before: Int64?, limit: Int, attemptsShown: Int = 10) async throws
        -> [WebhookDelivery]? {
        try await backend.read { tx in
            guard let endpoint = try Self.endpoint(id, tenant: tenant, tx, includeDeleted: true) else { return nil }
            var deliveries = try tx.all("""
                SELECT d.id, e.id AS event_id, e.type, d.state, d.attempts, d.last_status, d.last_error, d.due_at, d.created_at, d.finished_at
                FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.event_seq
                WHERE d.endpoint_seq = \(endpoint.sequence) AND d.id < \(before ?? Int64.max) ORDER BY d.id DESC LIMIT \(limit)
                """) { row in
                WebhookDelivery(id: row["id"], eventID: row["event_id"], eventType: row["type"],
                                state: WebhookDelivery.State(rawValue: row["state"]) ?? .failed, attempts: row["attempts"],
                                lastStatusCode: row["last_status"], lastError: row["last_error"],
                                nextAttemptAt: (row["due_at"] as Int64?).map(Date.init(millisecondsSince1970:)),
                                createdAt: Date(millisecondsSince1970: row["created_at"]),
                                finishedAt: (row["finished_at"] as Int64?).map(Date.init(millisecondsSince1970:)), log: [])
            }
            for index in deliveries.indices {
                deliveries[index].log = try tx.all("""
                    SELECT at, status, error, duration_ms FROM (
                        SELECT id, at, status, error, duration_ms FROM webhook_attempts WHERE delivery_id = \(deliveries[index].id)
                        ORDER BY id DESC LIMIT \(attemptsShown)) AS latest ORDER BY id
                    """) { row in
                    WebhookDelivery.Attempt(at: Date(millisecondsSince1970: row["at"]), statusCode: row["status"], error: row["error"],
                                            durationMilliseconds: row["duration_ms"])
                }
            }
            return deliveries
        }
    }

    static let columns = "seq, id, url, events, description, created_at"

    static func endpoint(_ row: borrowing SQLRow) -> WebhookEndpoint {
        WebhookEndpoint(id: row["id"], sequence: row["seq"], url: row["url"], events: (row["events"] as String).split(separator: " ").map(String.init),
                        description: row["description"], createdAt: Date(millisecondsSince1970: row["created_at"]))
    }

    static func endpoint(_ id: String, tenant: String, _ tx: Transaction, includeDeleted: Bool = false) throws -> WebhookEndpoint? {
        try tx.first("""
            SELECT \(raw: columns) FROM webhook_endpoints
            WHERE id = \(id) AND tenant = \(tenant)\(raw: includeDeleted ? "" : " AND deleted_at IS NULL")
            """, endpoint)
    }
}
