import Foundation
public import Logging
public import Runtime
import Tracing

/// Drains the outbox: claims due rows under a lease, sends each through its channel's provider
/// (with the message id as the provider-side dedupe reference) under the provider's rate
/// limiter, then records the outcome: `sent` (the message's hold on the wallet settled at its
/// price), retried later with backoff (transient failures, until `maxAttempts`), or `failed`
/// with the provider's code (the hold released). Any number of relays may run at once, in this
/// process or others: a row is sent by the relay holding its lease; one whose relay died is
/// sent again after the lease (at most the rows that relay had leased, and providers that
/// honour the dedupe reference deliver them once).
public struct OutboxRelay: Sendable {
    /// What one pass did.
    public struct Report: Sendable, Equatable {
        public var processed = 0
        public var sent = 0
        public var failed = 0
        public var retried = 0
        /// Rows left in the outbox afterwards (due or not).
        public var remaining = 0

        public init() {}

        mutating func add(_ other: Report) {
            processed += other.processed
            sent += other.sent
            failed += other.failed
            retried += other.retried
        }
    }

    let hub: MessagingHub
    let store: OutboxStore
    let messages: MessageStore
    let wallets: Wallets
    /// This relay's name; each pass claims under this name and a fresh suffix, so a pass that
    /// stalls past its lease can never have its late word taken for a newer pass's.
    let owner: String
    let logger: Logger

    public init(hub: MessagingHub, backend: any Backend, wallets: Wallets, owner: String = "relay-\(UInt64.random(in: 1...UInt64.max))",
                logger: Logger = Logger(label: "switchboard.outbox")) {
        self.hub = hub
        store = OutboxStore(backend: backend)
        messages = MessageStore(backend: backend)
        self.wallets = wallets
        self.owner = owner
        self.logger = logger
    }

    /// Claims one batch of due rows and sends them, all at once.
    public func pass() async throws -> Report {
        let configuration = hub.configuration
        let now = hub.clock.now()
        let leaseUntil = now.addingTimeInterval(configuration.leaseDuration.timeInterval)
        let claimed = try await store.claim(owner: "\(owner)#\(String(UInt64.random(in: 1...UInt64.max), radix: 36))",
                                            limit: configuration.relayBatchSize, now: now, leaseUntil: leaseUntil)
        var report = Report()
        report.processed = claimed.count
        await withTaskGroup(of: Outcome.self) { group in
            for row in claimed { group.addTask { await self.tracedSend(row, leaseUntil: leaseUntil) } }
            for await outcome in group {
                switch outcome {
                case .sent: report.sent += 1
                case .failed: report.failed += 1
                case .retried: report.retried += 1
                case .leaseLost: break
                }
            }
        }
        return report
    }

    /// Passes until nothing due is left (or `maxPasses`), as `POST /_internal/process-outbox` does.
    public func drain(maxPasses: Int = 100) async throws -> Report {
        var total = Report()
        for _ in 0..<maxPasses {
            let report = try await pass()
            total.add(report)
            if report.processed == 0 { break }
        }
        total.remaining = try await messages.outboxCount()
        return total
    }

    private enum Outcome: Sendable {
        case sent, failed, retried, leaseLost
    }

    /// A send starts only with this much lease left: more than any provider's timeout (at most
    /// 60 s, checked by `serve`), so it ends before another relay may take the row.
    static let sendMargin: TimeInterval = 65

    /// One send in a span that continues the trace of the request that queued the message, so
    /// the provider's `traceparent` and the events it raises (`message.sent`) carry that trace.
    private func tracedSend(_ row: OutboxStore.Claimed, leaseUntil: Date) async -> Outcome {
        await withSpan("message send", context: TraceParent.context(row.traceparent), ofKind: .producer) { span in
            span.attributes["switchboard.message.id"] = row.message.id
            span.attributes["switchboard.message.channel"] = row.message.channel.rawValue
            span.attributes["switchboard.message.provider"] = row.message.provider
            let outcome = await send(row, leaseUntil: leaseUntil)
            if outcome == .failed || outcome == .retried { span.setStatus(SpanStatus(code: .error)) }
            return outcome
        }
    }

    private func send(_ row: OutboxStore.Claimed, leaseUntil: Date) async -> Outcome {
        let message = row.message
        do {
            guard let provider = hub.providers[message.provider] else {
                return try await fail(row, MessagingError(.permanent, code: "no_provider", "provider '\(message.provider)' is not configured"))
            }
            let health = hub.health(of: provider.id)
            guard health?.breaker.permit() ?? true else {
                return try await retry(row, MessagingError(.transient, "\(provider.id)'s circuit breaker is open"), after: .seconds(5),
                                       countsAsAttempt: false)
            }
            let limiterKey = MessagingHub.limiterKey(provider.id)
            let asked = hub.clock.now()
            do {
                try await hub.limiter.acquire(key: limiterKey, permit: Permit(requests: 1), deadline: asked.addingTimeInterval(1))
                hub.metrics.limiter.waited(limiterKey, hub.clock.elapsed(since: asked))
            } catch let error as RateLimitError {
                hub.metrics.limiter.refused(limiterKey)
                health?.breaker.releasePermit()  // not the provider's fault, nor a sign it is well
                return try await retry(row, MessagingError(.rateLimited(retryAfter: error.retryAfter), "rate limited by our limiter"),
                                       after: error.retryAfter ?? .seconds(1), countsAsAttempt: false)
            }
            guard hub.clock.now().addingTimeInterval(Self.sendMargin) < leaseUntil else {
                // Too little lease left to send safely (a slow pass): give the row back untried.
                return try await retry(row, MessagingError(.transient, "the relay's lease ran short"), after: .zero, countsAsAttempt: false)
            }
            let outgoing = OutgoingMessage(
                id: message.id, channel: message.channel, to: message.to, from: message.from, subject: message.subject, body: message.body,
                template: row.providerTemplateID.map { TemplateReference(providerTemplateID: $0, variables: message.variables ?? [:]) })
            let receipt: SendReceipt
            let started = hub.clock.now()
            do {
                receipt = try await provider.send(outgoing)
                hub.metrics.sent(provider.id, message.channel, after: hub.clock.elapsed(since: started))
            } catch {
                hub.metrics.failed(provider.id, message.channel, error, after: hub.clock.elapsed(since: started))
                health?.record(success: error.kind == .permanent)  // a refused message is not the provider failing
                switch error.kind {
                case .permanent:
                    return try await fail(row, error)
                case .rateLimited(let wait):
                    hub.limiter.pause(key: MessagingHub.limiterKey(provider.id), for: wait ?? .seconds(1))
                    return try await retry(row, error, after: wait)
                case .transient:
                    return try await retry(row, error, after: nil)
                }
            }
            health?.record(success: true)
            let status = receipt.providerStatus.flatMap(MessageStatus.init(providerStatus:)) ?? .sent
            // The outcome first (it checks the lease), then the money: a relay that lost the row
            // never touches its hold, and a crash in between leaves a hold `reconcileHolds` closes.
            try await store.sent(row, owner: row.owner, providerMessageID: receipt.providerMessageID, status: status, now: hub.clock.now())
            if let holdID = row.holdID {
                _ = try await wallets.settle(try hold(holdID, message), actualCost: MicroUSD(message.priceMicroUSD))
            }
            return .sent
        } catch is OutboxStore.LeaseLost {
            return .leaseLost
        } catch {
            // The store or the wallet failed: try again later as a counted attempt (if the lease
            // is still ours); a recorded outcome's hold is closed by `reconcileHolds`.
            logger.error("outbox relay could not record a send", metadata: ["message": "\(message.id)", "error": "\(error)"])
            _ = try? await retry(row, MessagingError(.transient, "the relay failed: \(error)"), after: nil)
            return .leaseLost
        }
    }

    /// Retries with exponential backoff (or the provider's wait), or fails once attempts are used up.
    private func retry(_ row: OutboxStore.Claimed, _ error: MessagingError, after wait: Duration?, countsAsAttempt: Bool = true)
        async throws -> Outcome {
        let configuration = hub.configuration
        let attempts = row.message.attempts + (countsAsAttempt ? 1 : 0)
        if attempts >= configuration.maxAttempts {
            return try await fail(row, MessagingError(.permanent, code: error.code, "gave up after \(attempts) attempts: \(error.message)"))
        }
        if hub.clock.now().timeIntervalSince(row.message.createdAt) > Self.maxAge.timeInterval {
            return try await fail(row, MessagingError(.permanent, code: error.code, "not sent within \(Self.maxAge): \(error.message)"))
        }
        hub.metrics.retrying(row.message.provider)
        let backoff = min(configuration.maxBackoff, configuration.baseBackoff * (1 << min(max(attempts - 1, 0), 16)))
        let now = hub.clock.now()
        try await store.retry(row, owner: row.owner, dueAt: now.addingTimeInterval((wait ?? backoff).timeInterval), error: error,
                              countsAsAttempt: countsAsAttempt, now: now)
        return .retried
    }

    /// Retries that do not count as attempts (limiters, breakers) end after this long.
    static let maxAge: Duration = .seconds(24 * 3_600)

    private func fail(_ row: OutboxStore.Claimed, _ error: MessagingError) async throws -> Outcome {
        try await store.failed(row, owner: row.owner, error: error, now: hub.clock.now())
        if let holdID = row.holdID { _ = try await wallets.release(try hold(holdID, row.message)) }
        return .failed
    }

    /// Settles or releases message holds whose message's outcome is recorded: any message still
    /// in the outbox → kept (the relay will send it and close the hold); sent or delivered →
    /// settled at its price; failed → released; queued or sending without an outbox row (its
    /// work ended but the outcome never reached the row) → settled if the provider took it (it
    /// has a provider id), else released.
    /// With `orphans` (only before serving: no accept can be in flight), a hold whose message
    /// was never written is released too. Returns how many it closed.
    public func reconcileHolds(orphans: Bool = true) async throws -> Int {
        var closed = 0
        let prefix = MessageRecord.holdReference("")
        for hold in try await wallets.heldReservations(prefix: prefix) {
            let id = String(hold.reference.dropFirst(prefix.count))
            var message = try await messages.message(id: id, tenant: hold.wallet.tenant)
            if let known = message {
                // A message still in the outbox is the relay's, whatever a delivery report said of it.
                guard !(try await messages.hasOutboxRow(messageSequence: known.sequence)) else { continue }
                // Read again after the row check: a relay records the outcome and deletes the row in
                // one commit, so what was `sending` a moment ago may be `sent` now, with its provider id.
                if known.status == .queued || known.status == .sending {
                    message = try await messages.message(id: id, tenant: hold.wallet.tenant)
                }
            }
            switch message?.status {
            case .queued?, .sending?:
                if message?.providerMessageID != nil {
                    _ = try await wallets.settle(hold, actualCost: MicroUSD(message?.priceMicroUSD ?? 0))
                } else {
                    _ = try await wallets.release(hold)
                }
            case nil where !orphans:
                continue
            case .sent?, .delivered?:
                _ = try await wallets.settle(hold, actualCost: MicroUSD(message?.priceMicroUSD ?? 0))
            case .failed?, .undelivered?, .cancelled?, nil:
                _ = try await wallets.release(hold)
            }
            closed += 1
        }
        return closed
    }

    private func hold(_ id: Int64, _ message: MessageRecord) async throws -> Reservation {
        guard let hold = try await wallets.reservation(id, on: .team(message.tenant)) else {
            throw WalletError(.notFound, "the hold of message \(message.id) is missing")
        }
        return hold
    }
}
