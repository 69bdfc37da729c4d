public import AsyncHTTPClient
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import Runtime
import Tracing

/// Delivers tenant webhooks: claims due deliveries under a lease, checks the endpoint's URL
/// again (`WebhookURLPolicy`: its name may resolve elsewhere now), POSTs the event's stored body
/// with Standard Webhooks headers — the event's id as `webhook-id` on every attempt, so a
/// receiver dedupes retries — and records the attempt. A 2xx delivers; anything else is tried
/// again after 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h, until `retryWindow` after the
/// event, then the delivery fails. At least once: a dispatcher that dies mid-send leaves its
/// rows to the next after the lease. Redirects are not followed (the client must not follow them).
public struct WebhookDispatcher: Sendable {
    /// What one pass did.
    public struct Report: Sendable, Equatable {
        public var processed = 0
        public var delivered = 0
        public var retried = 0
        public var failed = 0
    }

    let backend: any Backend
    let client: HTTPClient
    let policy: WebhookURLPolicy
    let clock: any WallClock
    let owner: String
    let logger: Logger
    let metrics: WebhookMetrics

    public init(backend: any Backend, client: HTTPClient, configuration: WebhookConfiguration, clock: any WallClock,
                owner: String = "webhooks-\(UInt64.random(in: 1...UInt64.max))", logger: Logger = Logger(label: "switchboard.webhooks"),
                metrics: WebhookMetrics = WebhookMetrics()) {
        self.metrics = metrics
        self.backend = backend
        self.client = client
        policy = WebhookURLPolicy(configuration: configuration)
        self.clock = clock
        self.owner = owner
        self.logger = logger
    }

    /// An HTTP client fit for webhooks: no redirects followed, short connect timeout.
    public static func makeClient() -> HTTPClient {
        HTTPClient(eventLoopGroupProvider: .singleton,
                   configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5))))
    }

    /// The waits between attempts; the last repeats.
    static let backoff: [Duration] = [.seconds(5), .seconds(300), .seconds(1_800), .seconds(7_200), .seconds(18_000), .seconds(36_000)]
    static let batchSize = 100
    static let concurrency = 16
    static let lease: TimeInterval = 120
    /// The largest answer read from a receiver (then dropped).
    static let answerLimit = 64 << 10

    struct Claimed: Sendable {
        var id: Int64
        var attempts: Int
        var createdAt: Int64
        var eventID: String
        var body: String
        var url: String
        var secret: String
        var endpointDeleted: Bool
        /// The trace of the change that raised the event.
        var traceparent: String?
    }

    /// Claims up to a batch of due deliveries and sends them (at most `concurrency` at once).
    /// On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, so instances claiming at
    /// once take different deliveries; once committed, the lease keeps a row out of every claim.
    public func pass() async throws -> Report {
        let now = clock.now().millisecondsSince1970
        let leaseUntil = now + Int64(Self.lease * 1_000)
        let owner = self.owner
        let claimed = try await backend.write { tx in
            try tx.all("""
                UPDATE webhook_deliveries SET lease_owner = \(owner), lease_until = \(leaseUntil)
                WHERE id IN (SELECT id FROM webhook_deliveries
                             WHERE state = 'pending' AND due_at <= \(now) AND (lease_until IS NULL OR lease_until <= \(now))
                             ORDER BY due_at LIMIT \(Self.batchSize)\(raw: tx.dialect.skipLocked))
                  AND state = 'pending' AND (lease_until IS NULL OR lease_until <= \(now))
                RETURNING id, attempts, created_at, event_seq, endpoint_seq
                """) { row in
                (id: row["id"] as Int64, attempts: row["attempts"] as Int, createdAt: row["created_at"] as Int64,
                 event: row["event_seq"] as Int64, endpoint: row["endpoint_seq"] as Int64)
            }.compactMap { row -> Claimed? in
                try tx.first("""
                    SELECT e.id, e.body, e.traceparent, w.url, w.secret, w.deleted_at FROM webhook_events e, webhook_endpoints w
                    WHERE e.seq = \(row.event) AND w.seq = \(row.endpoint)
                    """) { detail in
                    Claimed(id: row.id, attempts: row.attempts, createdAt: row.createdAt, eventID: detail["id"], body: detail["body"],
                            url: detail["url"], secret: detail["secret"], endpointDeleted: (detail["deleted_at"] as Int64?) != nil,
                            traceparent: detail["traceparent"])
                }
            }
        }
        var report = Report()
        report.processed = claimed.count
        await withTaskGroup(of: WebhookDelivery.State?.self) { group in
            var next = claimed.makeIterator()
            func addNext() -> Bool {
                guard let delivery = next.next() else { return false }
                group.addTask { await self.deliver(delivery) }
                return true
            }
            for _ in 0..<Self.concurrency where !addNext() { break }
            while let outcome = await group.next() {
                switch outcome {
                case .delivered?: report.delivered += 1
                case .pending?: report.retried += 1
                case .failed?: report.failed += 1
                case nil: break
                }
                _ = addNext()
            }
        }
        return report
    }

    /// Passes until nothing due is left (or `maxPasses`).
    public func drain(maxPasses: Int = 100) async throws -> Report {
        var total = Report()
        for _ in 0..<maxPasses {
            let report = try await pass()
            total.processed += report.processed
            total.delivered += report.delivered
            total.retried += report.retried
            total.failed += report.failed
            if report.processed == 0 { break }
        }
        return total
    }

    /// When the next pending delivery falls due (nil: none pending).
    public func nextDue() async throws -> Date? {
        try await backend.read { tx in
            try tx.first("SELECT min(\(raw: tx.dialect.greatest)(due_at, coalesce(lease_until, 0))) AS due FROM webhook_deliveries WHERE state = 'pending'") {
                ($0["due"] as Int64?).map(Date.init(millisecondsSince1970:))
            } ?? nil
        }
    }

    /// One attempt and its record, in a span that continues the event's trace (the POST's
    /// `traceparent` names it); the delivery's state after it (nil: the lease was lost).
    private func deliver(_ delivery: Claimed) async -> WebhookDelivery.State? {
        await withSpan("webhook delivery", context: TraceParent.context(delivery.traceparent), ofKind: .producer) { span in
            span.attributes["switchboard.webhook.event_id"] = delivery.eventID
            span.attributes["switchboard.webhook.attempt"] = delivery.attempts + 1
            let started = clock.now()
            let state = await attempt(delivery, started: started)
            let outcome: WebhookMetrics.Outcome? = switch state {
            case .delivered?: .delivered
            case .pending?: .retrying
            case .failed?: .failed
            case nil: nil
            }
            if let outcome {
                metrics.attempted(outcome, after: clock.elapsed(since: started))
                span.attributes["switchboard.webhook.outcome"] = outcome.rawValue
                if outcome != .delivered { span.setStatus(SpanStatus(code: .error)) }
            }
            return state
        }
    }

    private func attempt(_ delivery: Claimed, started: Date) async -> WebhookDelivery.State? {
        var status: Int?
        var failure: String?
        if delivery.endpointDeleted {
            failure = "the endpoint was deleted"
        } else {
            do {
                status = try await post(delivery)
                if !(200..<300).contains(status ?? 0) { failure = "the receiver answered \(status ?? 0)" }
            } catch let refusal as WebhookURLPolicy.Refusal {
                failure = "not sent: \(refusal.reason)"
            } catch {
                failure = ProviderTransport.isTimeout(error) ? "no answer within \(policy.configuration.timeout)" : "could not connect: \(error)"
            }
        }
        let now = clock.now()
        let duration = Int64(now.timeIntervalSince(started) * 1_000)
        let state: WebhookDelivery.State
        let attempts = delivery.attempts + 1
        var dueAt: Int64?
        if failure == nil {
            state = .delivered
        } else {
            let wait = Self.backoff[min(attempts - 1, Self.backoff.count - 1)]
            let next = now.addingTimeInterval(wait.timeInterval).millisecondsSince1970
            let deadline = delivery.createdAt + Int64(policy.configuration.retryWindow.timeInterval * 1_000)
            if delivery.endpointDeleted || next > deadline {
                state = .failed
            } else {
                state = .pending
                dueAt = next
            }
        }
        let nowMS = now.millisecondsSince1970, owner = self.owner
        let (code, error, due) = (status, failure, dueAt)
        let finished: Int64? = state == .pending ? nil : nowMS
        do {
            let recorded = try await backend.write { tx -> Bool in
                let changed = try tx.run("""
                    UPDATE webhook_deliveries SET state = \(state.rawValue), attempts = \(attempts), due_at = \(due),
                        lease_owner = NULL, lease_until = NULL, last_status = \(code), last_error = \(error), finished_at = \(finished)
                    WHERE id = \(delivery.id) AND lease_owner = \(owner) AND state = 'pending'
                    """)
                guard changed == 1 else { return false }
                try tx.run("""
                    INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ms)
                    VALUES (\(delivery.id), \(started.millisecondsSince1970), \(code), \(error), \(duration))
                    """)
                return true
            }
            return recorded ? state : nil
        } catch {
            logger.error("could not record a webhook attempt", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
            return nil
        }
    }

    /// POSTs the event; the receiver's status code.
    private func post(_ delivery: Claimed) async throws -> Int {
        _ = try await policy.check(delivery.url)
        let timestamp = Int64(clock.now().timeIntervalSince1970)
        let body = Data(delivery.body.utf8)
        guard let signature = WebhookSignature.sign(secret: delivery.secret, id: delivery.eventID, timestamp: timestamp, body: body) else {
            throw WebhookURLPolicy.Refusal(reason: "the endpoint's secret is damaged")
        }
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Switchboard-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.eventID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: signature)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: ProviderTransport.timeAmount(policy.configuration.timeout))
        _ = try? await response.body.collect(upTo: Self.answerLimit)
        return Int(response.status.code)
    }
}
