import Foundation
@testable import Jobs
import Runtime
import Testing

/// The messaging and webhook stores on each backend, and, on PostgreSQL, two instances on one
/// database (each with its own backend and sessions, as two processes would have): what one
/// claims the other never takes.
@Suite("Messaging stores on both backends")
struct MessagingBackendTests {
    static func sms(_ to: String, _ body: String = "hello") -> Messages.Request {
        Messages.Request(channel: .sms, to: to, body: body)
    }

    @Test("an accept writes the message, its first history event, its outbox row and its hold in one commit", arguments: BackendKind.allCases)
    func acceptWritesEverything(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let (message, replayed) = try await harness.messages.accept(Self.sms("+14155550100"), tenant: "acme", idempotencyKey: "k1")
        #expect(!replayed && message.status == .queued && message.events.map(\.status) == [.queued])
        let seq = message.sequence
        let rows = try await harness.backend.read { tx in
            (status: try tx.first("SELECT status, hold_id FROM messages WHERE seq = \(seq)") { ($0["status"] as String, $0["hold_id"] as Int64?) },
             events: try tx.all("SELECT status FROM message_events WHERE message_seq = \(seq) ORDER BY id") { $0["status"] as String },
             outbox: try tx.all("SELECT conversation, lease_owner FROM outbox WHERE message_seq = \(seq)") {
                 ($0["conversation"] as String, $0["lease_owner"] as String?)
             })
        }
        #expect(rows.status?.0 == "queued")
        #expect(rows.events == ["queued"])
        #expect(rows.outbox.count == 1 && rows.outbox.first?.0 == "acme|sms|+14155550100" && rows.outbox.first?.1 == nil)
        let hold = try #require(try await harness.wallets.heldReservation(reference: MessageRecord.holdReference(message.id), on: .team("acme")))
        #expect(hold.id == rows.status?.1 && hold.amount == MicroUSD(message.priceMicroUSD))
        #expect(try await harness.wallets.balance(of: .team("acme"))?.reserved == MicroUSD(message.priceMicroUSD))
        // The same key again is the same message; nothing more is held.
        let again = try await harness.messages.accept(Self.sms("+14155550100"), tenant: "acme", idempotencyKey: "k1")
        #expect(again.replayed && again.message.id == message.id)
        #expect(try await harness.wallets.balance(of: .team("acme"))?.reserved == MicroUSD(message.priceMicroUSD))
        #expect(try await harness.relay("r").messages.outboxCount() == 1)
        await harness.close()
    }

    @Test("two instances claiming the outbox at once never take the same row, and every message is sent once", arguments: BackendKind.allCases)
    func outboxClaimAcrossInstances(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        let other = try await harness.secondInstance()
        try await harness.fund("acme", usd: 100)
        var ids: Set<String> = []
        for index in 0..<60 {
            ids.insert(try await harness.messages.accept(Self.sms("+1415555\(String(format: "%04d", index))"), tenant: "acme",
                                                         idempotencyKey: nil).message.id)
        }
        let now = harness.clock.now(), leaseUntil = now.addingTimeInterval(300)
        let mine = OutboxStore(backend: harness.backend), theirs = OutboxStore(backend: other)
        async let a = mine.claim(owner: "a", limit: 40, now: now, leaseUntil: leaseUntil)
        async let b = theirs.claim(owner: "b", limit: 40, now: now, leaseUntil: leaseUntil)
        let (first, second) = try await (a, b)
        let (firstRows, secondRows) = (Set(first.map(\.outboxID)), Set(second.map(\.outboxID)))
        #expect(firstRows.isDisjoint(with: secondRows), "a row was handed to both instances")
        #expect(first.count + second.count == 60, "\(first.count) + \(second.count): all 60 claimable rows taken, none twice")
        #expect(first.count == 40 || second.count == 40, "one instance got a full batch")
        #expect(Set((first + second).map(\.message.id)) == ids)
        // Nothing is left to claim while the leases hold.
        #expect(try await mine.claim(owner: "c", limit: 100, now: now, leaseUntil: leaseUntil).isEmpty)
        // Each sends what it claimed: every message is sent exactly once.
        for row in first { try await mine.sent(row, owner: row.owner, providerMessageID: "P-" + row.message.id, status: .sent, now: now) }
        for row in second { try await theirs.sent(row, owner: row.owner, providerMessageID: "P-" + row.message.id, status: .sent, now: now) }
        await #expect(throws: OutboxStore.LeaseLost.self) {
            try await theirs.sent(first[0], owner: "b", providerMessageID: "P-x", status: .sent, now: now)
        }
        let sent = try await harness.backend.read { tx in
            try tx.first("SELECT count(*) AS n FROM messages WHERE status = 'sent'") { $0["n"] as Int }
        }
        #expect(sent == 60)
        #expect(try await harness.relay("r").messages.outboxCount() == 0)
        if kind == .postgres { await other.close() }
        await harness.close()
    }

    @Test("two relays on two instances drain one outbox: each message reaches the provider once", arguments: BackendKind.allCases)
    func relaysAcrossInstances(_ kind: BackendKind) async throws {
        var configuration = MessagingConfiguration.development
        configuration.relayBatchSize = 5
        let harness = try await MessagingHarness.open(kind, configuration: configuration)
        let other = try await harness.secondInstance()
        try await harness.fund("acme", usd: 100)
        var ids: [String] = []
        for index in 0..<40 {
            ids.append(try await harness.messages.accept(Self.sms("+1415556\(String(format: "%04d", index))"), tenant: "acme",
                                                         idempotencyKey: nil).message.id)
        }
        let theirs = OutboxRelay(hub: harness.hub, backend: other, wallets: Wallets(backend: other, clock: harness.clock), owner: "b")
        async let a = harness.relay("a").drain(maxPasses: 1_000)
        async let b = theirs.drain(maxPasses: 1_000)
        let (first, second) = try await (a, b)
        #expect(first.sent + second.sent == 40)
        let calls = harness.provider.calls.map(\.id)
        #expect(calls.count == 40 && Set(calls) == Set(ids), "every message sent once: \(calls.count) sends")
        #expect(try await harness.wallets.balance(of: .team("acme"))?.balance == MicroUSD(usd: 100) - MicroUSD(40 * 7_900))
        #expect(try await harness.wallets.audit().isEmpty)
        if kind == .postgres { await other.close() }
        await harness.close()
    }

    @Test("a delivery report is stored once; status only moves forward; a late sent changes nothing", arguments: BackendKind.allCases)
    func deliveryReports(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let (message, _) = try await harness.messages.accept(Self.sms("+14155550100"), tenant: "acme", idempotencyKey: nil)
        _ = try await harness.relay("r").drain()
        let sid = "P-" + message.id
        func record(_ status: String, _ messageID: String? = nil) async throws -> (new: Bool, outcome: DeliveryApplyJob.Outcome?) {
            let report = DeliveryReport(provider: harness.provider.id, messageID: messageID, providerMessageID: sid, providerStatus: status,
                                        errorCode: nil)
            return try await harness.backend.write { tx in
                let new = try DeliveryInbox.insert(report, receivedAt: 1_000, tx)
                return (new, try DeliveryApplyJob.apply(report.dedupeKey, now: 1_000, tx))
            }
        }
        let delivered = try await record("delivered")
        #expect(delivered.new && delivered.outcome == .applied)
        let repeated = try await record("delivered")
        #expect(!repeated.new && repeated.outcome == .unchanged, "the same report again is stored once and applies nothing")
        let late = try await record("sent", message.id)
        #expect(late.new && late.outcome == .unchanged, "a late sent after delivered moves nothing")
        let unknown = try await record("no-such-word")
        #expect(unknown.outcome == .unknownStatus)
        let read = try #require(try await harness.messages.message(message.id, tenant: "acme"))
        #expect(read.status == .delivered)
        #expect(read.events.map(\.status) == [.queued, .sending, .sent, .delivered])
        let reports = try await harness.backend.read { tx in
            try tx.all("SELECT outcome FROM delivery_reports ORDER BY id") { $0["outcome"] as String? }
        }
        #expect(reports == ["applied", "unchanged", "unknown_status"])
        await harness.close()
    }

    @Test("suppressions: added (kept as first put), checked before accepting, listed, removed once; STOP and START replies", arguments: BackendKind.allCases)
    func suppressions(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let suppressions = Suppressions(backend: harness.backend)
        try await harness.backend.write { tx in
            try Suppressions.add(tenant: "acme", channel: .email, address: " Ann@Example.com ", reason: "operator", at: 5, tx)
            try Suppressions.add(tenant: "acme", channel: .email, address: "ann@example.com", reason: "again", at: 6, tx)
        }
        #expect(try await suppressions.isSuppressed(tenant: "acme", channel: .email, address: "ANN@example.com"))
        #expect(try await !suppressions.isSuppressed(tenant: "globex", channel: .email, address: "ann@example.com"))
        #expect(try await !suppressions.isSuppressed(tenant: "acme", channel: .sms, address: "ann@example.com"))
        let listed = try await suppressions.list(tenant: "acme", before: nil, limit: 10)
        #expect(listed.map(\.address) == ["ann@example.com"] && listed.first?.reason == "operator")
        await #expect(throws: Messages.Suppressed.self) {
            _ = try await harness.messages.accept(Messages.Request(channel: .email, to: "ann@example.com", subject: "s", body: "b"),
                                                  tenant: "acme", idempotencyKey: nil)
        }
        #expect(try await harness.wallets.balance(of: .team("acme"))?.reserved == .zero, "nothing held for a suppressed recipient")
        #expect(try await suppressions.remove(tenant: "acme", channel: .email, address: "ann@example.com"))
        #expect(try await !suppressions.remove(tenant: "acme", channel: .email, address: "ann@example.com"))
        #expect(try await !suppressions.isSuppressed(tenant: "acme", channel: .email, address: "ann@example.com"))

        // A STOP from a recipient opts it out of every tenant that sent to it from that sender; START undoes it.
        let sent = try await harness.messages.accept(Messages.Request(channel: .sms, to: "+14155550100", from: "+14155550999", body: "hi"),
                                                     tenant: "acme", idempotencyKey: nil).message
        let stop = try await suppressions.applyReply(from: sent.to, to: sent.from, body: " stop ", channel: .sms, now: harness.clock.now())
        #expect(stop?.optedOut == true && stop?.tenants == 1)
        #expect(try await suppressions.isSuppressed(tenant: "acme", channel: .sms, address: "+14155550100"))
        let start = try await suppressions.applyReply(from: sent.to, to: sent.from, body: "START", channel: .sms, now: harness.clock.now())
        #expect(start?.optedOut == false && start?.tenants == 1)
        #expect(try await !suppressions.isSuppressed(tenant: "acme", channel: .sms, address: "+14155550100"))
        await harness.close()
    }

    @Test("webhook endpoints: created and listed per tenant; each delivery is claimed once across two instances",
          .timeLimit(.minutes(5)), arguments: BackendKind.allCases)
    func webhookDeliveriesAcrossInstances(_ kind: BackendKind) async throws {
        try await Receiver.run(statuses: []) { url, receiver in
            let harness = try await MessagingHarness.open(kind)
            let other = try await harness.secondInstance()
            try await harness.fund("acme", usd: 100)
            let endpoints = WebhookEndpoints(backend: harness.backend, configuration: .development, clock: harness.clock)
            let (endpoint, _) = try await endpoints.create(tenant: "acme", url: url, events: ["message.queued"], description: "ours")
            let listed = try await WebhookEndpoints(backend: other, configuration: .development, clock: harness.clock)
                .list(tenant: "acme", before: nil, limit: 10)
            #expect(listed.map(\.id) == [endpoint.id] && listed.first?.description == "ours" && listed.first?.events == ["message.queued"])
            #expect(try await endpoints.list(tenant: "globex", before: nil, limit: 10).isEmpty)
            for index in 0..<30 {
                _ = try await harness.messages.accept(Self.sms("+1415557\(String(format: "%04d", index))"), tenant: "acme", idempotencyKey: nil)
            }
            let client = WebhookDispatcher.makeClient()
            let mine = WebhookDispatcher(backend: harness.backend, client: client, configuration: .development, clock: harness.clock, owner: "a")
            let theirs = WebhookDispatcher(backend: other, client: client, configuration: .development, clock: harness.clock, owner: "b")
            async let a = mine.pass()
            async let b = theirs.pass()
            let (first, second) = try await (a, b)
            #expect(first.processed + second.processed == 30, "\(first.processed) + \(second.processed): every delivery claimed once")
            #expect(first.delivered + second.delivered == 30)
            let posts = receiver.posts
            #expect(posts.count == 30 && Set(posts.map(\.id)).count == 30, "each event posted once: \(posts.count) posts")
            #expect(try await mine.drain().processed == 0)
            #expect(try await theirs.nextDue() == nil, "nothing pending on either instance")
            let log = try #require(try await endpoints.deliveries(of: endpoint.id, tenant: "acme", before: nil, limit: 100))
            #expect(log.count == 30 && log.allSatisfy { $0.state == .delivered && $0.attempts == 1 && $0.log.count == 1 })
            try await client.shutdown()
            if kind == .postgres { await other.close() }
            await harness.close()
        }
    }

    @Test("fallbacks due are taken by one instance: two passes at once make each next attempt once", arguments: BackendKind.allCases)
    func fallbacksAcrossInstances(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        let other = try await harness.secondInstance()
        try await harness.fund("acme", usd: 100)
        var firsts: [MessageRecord] = []
        for index in 0..<10 {
            let request = Messages.Request(channel: .whatsapp, to: "+1415558\(String(format: "%04d", index))", body: "code \(index)",
                                           fallback: [FallbackStep(channel: .sms)], fallbackAfter: .seconds(60))
            firsts.append(try await harness.messages.accept(request, tenant: "acme", idempotencyKey: nil).message)
        }
        _ = try await harness.relay("r").drain()
        let now = harness.clock.now().millisecondsSince1970
        let sequences = firsts.map(\.sequence)
        try await harness.backend.write { tx in
            for seq in sequences { _ = try OutboxStore.advance(seq, to: .undelivered, detail: nil, at: now, tx) }
        }
        let mine = MessageFallbacks(hub: harness.hub, backend: harness.backend, wallets: harness.wallets)
        let theirs = MessageFallbacks(hub: harness.hub, backend: other, wallets: Wallets(backend: other, clock: harness.clock))
        async let a = mine.pass()
        async let b = theirs.pass()
        let (first, second) = try await (a, b)
        #expect(first + second == 10, "\(first) + \(second): each due message handled by one pass")
        #expect(try await mine.pass() == 0)
        #expect(try await theirs.pass() == 0)
        for message in firsts {
            let read = try #require(try await harness.messages.message(message.id, tenant: "acme"))
            #expect(read.nextID != nil)
            #expect(read.events.filter { $0.detail?.hasPrefix("fallback (") == true }.count == 1, "one fallback note in \(message.id)'s history")
        }
        #expect(try await harness.messages.messages(tenant: "acme", status: nil, before: nil, limit: 100).count == 20)
        if kind == .postgres { await other.close() }
        await harness.close()
    }
}
