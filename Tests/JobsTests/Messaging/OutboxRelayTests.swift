import Foundation
@testable import Jobs
import Runtime
import Testing

@Suite("Outbox relay")
struct OutboxRelayTests {
    static func sms(_ to: String, _ body: String = "hello") -> Messages.Request {
        Messages.Request(channel: .sms, to: to, body: body)
    }

    @Test("a committed message is sent once, charged its price, and its history reads queued → sending → sent", arguments: BackendKind.allCases)
    func sendsAndCharges(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let (message, _) = try await harness.messages.accept(Self.sms("+14155550100"), tenant: "acme", idempotencyKey: nil)
        #expect(message.status == .queued && message.priceMicroUSD == 7_900)
        #expect(try await harness.wallets.balance(of: .team("acme"))?.reserved == MicroUSD(7_900))

        let report = try await harness.relay("r1").drain()
        #expect(report.sent == 1 && report.remaining == 0)
        let sent = try #require(try await harness.messages.message(message.id, tenant: "acme"))
        #expect(sent.status == .sent && sent.providerMessageID == "P-\(message.id)")
        #expect(sent.events.map(\.status) == [.queued, .sending, .sent])
        let balance = try #require(try await harness.wallets.balance(of: .team("acme")))
        #expect(balance.balance == MicroUSD(usd: 10) - MicroUSD(7_900) && balance.reserved == .zero)
        #expect(harness.provider.calls.map(\.id) == [message.id])
        #expect(try await harness.relay("r1").drain().processed == 0)
        #expect(try await harness.wallets.audit().isEmpty)
        await harness.close()
    }

    @Test("two relays draining at once send every message exactly once", arguments: BackendKind.allCases)
    func concurrentRelays(_ kind: BackendKind) async throws {
        var configuration = MessagingConfiguration.development
        configuration.relayBatchSize = 7
        let harness = try await MessagingHarness.open(kind, configuration: configuration)
        try await harness.fund("acme", usd: 100)
        var ids: [String] = []
        for index in 0..<150 {
            ids.append(try await harness.messages.accept(Self.sms("+1415555\(String(format: "%04d", index))"), tenant: "acme",
                                                         idempotencyKey: nil).message.id)
        }
        async let first = harness.relay("a").drain(maxPasses: 1_000)
        async let second = harness.relay("b").drain(maxPasses: 1_000)
        let (a, b) = try await (first, second)
        #expect(a.sent + b.sent == 150)
        #expect(a.sent > 0 && b.sent > 0, "both relays took part: \(a.sent) / \(b.sent)")
        let calls = harness.provider.calls.map(\.id)
        #expect(calls.count == 150 && Set(calls) == Set(ids))
        #expect(try await harness.wallets.balance(of: .team("acme"))?.balance == MicroUSD(usd: 100) - MicroUSD(150 * 7_900))
        await harness.close()
    }

    @Test("a relay that dies mid-batch: only its leased rows are sent again, after the lease; nothing is lost", arguments: BackendKind.allCases)
    func deadRelay(_ kind: BackendKind) async throws {
        var configuration = MessagingConfiguration.development
        configuration.relayBatchSize = 4
        let harness = try await MessagingHarness.open(kind, configuration: configuration)
        try await harness.fund("acme")
        for index in 0..<10 { _ = try await harness.messages.accept(Self.sms("+1415555010\(index)"), tenant: "acme", idempotencyKey: nil) }
        // The dead relay claims 4 rows, sends them to the provider, and vanishes before recording anything.
        let store = OutboxStore(backend: harness.backend)
        let now = harness.clock.now()
        let leased = try await store.claim(owner: "dead", limit: 4, now: now, leaseUntil: now.addingTimeInterval(60))
        for row in leased { _ = try await harness.provider.send(OutgoingMessage(id: row.message.id, channel: .sms, to: row.message.to)) }

        let live = harness.relay("live")
        #expect(try await live.drain().sent == 6)  // the leased 4 are not touched while the lease holds
        harness.clock.advance(by: .seconds(61))
        #expect(try await live.drain().sent == 4)
        let counts = Dictionary(harness.provider.calls.map { ($0.id, 1) }, uniquingKeysWith: +)
        #expect(counts.count == 10)
        #expect(Set(counts.filter { $0.value == 2 }.keys) == Set(leased.map(\.message.id)))
        #expect(counts.values.allSatisfy { $0 <= 2 })
        let balance = try #require(try await harness.wallets.balance(of: .team("acme")))
        #expect(balance.reserved == .zero && balance.balance == MicroUSD(usd: 10) - MicroUSD(10 * 7_900))  // each charged once
        #expect(try await harness.wallets.audit().isEmpty)
        await harness.close()
    }

    @Test("one recipient's messages go in order, even when the first needs retries", arguments: BackendKind.allCases)
    func orderPerRecipient(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let to = "+14155550199"
        harness.provider.script(to, [.failure(MessagingError(.transient, code: "503", "down")),
                                     .failure(MessagingError(.rateLimited(retryAfter: .seconds(3)), code: "20429", "slow down"))])
        var ids: [String] = []
        for index in 1...3 { ids.append(try await harness.messages.accept(Self.sms(to, "m\(index)"), tenant: "acme", idempotencyKey: nil).message.id) }
        _ = try await harness.messages.accept(Self.sms("+14155550111", "other"), tenant: "acme", idempotencyKey: nil)
        let relay = harness.relay("r")
        for _ in 0..<20 {
            _ = try await relay.drain()
            harness.clock.advance(by: .seconds(2))
        }
        let delivered = harness.provider.calls.filter { $0.to == to }.map(\.id)
        // Two failed tries of m1, then m1, m2, m3 — never m2 before m1 succeeded.
        #expect(delivered == [ids[0], ids[0], ids[0], ids[1], ids[2]])
        let first = try #require(try await harness.messages.message(ids[0], tenant: "acme"))
        #expect(first.status == .sent && first.attempts == 3)
        await harness.close()
    }

    @Test("a permanent provider error fails the message with its code and releases its hold; retries are bounded", arguments: BackendKind.allCases)
    func permanentAndExhausted(_ kind: BackendKind) async throws {
        var configuration = MessagingConfiguration.development
        configuration.maxAttempts = 3
        let harness = try await MessagingHarness.open(kind, configuration: configuration)
        try await harness.fund("acme")
        harness.provider.script("+14155550001", [.failure(MessagingError(.permanent, code: "21211", "invalid To"))])
        harness.provider.script("+14155550002", Array(repeating: .failure(MessagingError(.transient, code: "503", "down")), count: 5))
        let bad = try await harness.messages.accept(Self.sms("+14155550001"), tenant: "acme", idempotencyKey: nil).message
        let flaky = try await harness.messages.accept(Self.sms("+14155550002"), tenant: "acme", idempotencyKey: nil).message
        for _ in 0..<10 {
            _ = try await harness.relay("r").drain()
            harness.clock.advance(by: .seconds(600))
        }
        let failed = try #require(try await harness.messages.message(bad.id, tenant: "acme"))
        #expect(failed.status == .failed && failed.errorCode == "21211")
        let exhausted = try #require(try await harness.messages.message(flaky.id, tenant: "acme"))
        #expect(exhausted.status == .failed && exhausted.attempts == 3 && exhausted.errorCode == "503")
        #expect(harness.provider.calls.filter { $0.to == "+14155550002" }.count == 3)
        let balance = try #require(try await harness.wallets.balance(of: .team("acme")))
        #expect(balance.balance == MicroUSD(usd: 10) && balance.reserved == .zero)
        #expect(try await harness.wallets.audit().isEmpty)
        await harness.close()
    }

    @Test("an Idempotency-Key makes one message, ever; a message scheduled for later waits for its time", arguments: BackendKind.allCases)
    func idempotencyAndSchedule(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let first = try await harness.messages.accept(Self.sms("+14155550100"), tenant: "acme", idempotencyKey: "k1")
        let again = try await harness.messages.accept(Self.sms("+14155550100"), tenant: "acme", idempotencyKey: "k1")
        #expect(!first.replayed && again.replayed && again.message.id == first.message.id)
        var later = Self.sms("+14155550200")
        later.sendAt = harness.clock.now().addingTimeInterval(3_600)
        let scheduled = try await harness.messages.accept(later, tenant: "acme", idempotencyKey: nil).message
        #expect(try await harness.relay("r").drain().sent == 1)
        #expect(try await harness.messages.message(scheduled.id, tenant: "acme")?.status == .queued)
        harness.clock.advance(by: .seconds(3_601))
        #expect(try await harness.relay("r").drain().sent == 1)
        #expect(harness.provider.calls.count == 2)
        #expect(try await harness.wallets.balance(of: .team("acme"))?.balance == MicroUSD(usd: 10) - MicroUSD(2 * 7_900))
        await harness.close()
    }

    @Test("holds a dead process left: settled for sent messages, released for failed or never-written ones, kept for queued", arguments: BackendKind.allCases)
    func reconcileHolds(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        harness.provider.script("+14155550102", [.failure(MessagingError(.permanent, code: "21211", "invalid"))])
        let sent = try await harness.messages.accept(Self.sms("+14155550101"), tenant: "acme", idempotencyKey: nil).message
        let failed = try await harness.messages.accept(Self.sms("+14155550102"), tenant: "acme", idempotencyKey: nil).message
        // The outcomes are recorded, but the process "dies" before touching the holds.
        let store = OutboxStore(backend: harness.backend)
        let now = harness.clock.now()
        for row in try await store.claim(owner: "dead", limit: 10, now: now, leaseUntil: now.addingTimeInterval(60)) {
            if row.message.id == sent.id {
                try await store.sent(row, owner: "dead", providerMessageID: "P1", status: .sent, now: now)
            } else {
                try await store.failed(row, owner: "dead", error: MessagingError(.permanent, code: "21211", "invalid"), now: now)
            }
        }
        let queued = try await harness.messages.accept(Self.sms("+14155550100"), tenant: "acme", idempotencyKey: nil).message
        _ = try await harness.wallets.reserve(MicroUSD(5_000), on: .team("acme"), reference: MessageRecord.holdReference("msg_never_written"))
        #expect(try await harness.relay("r").reconcileHolds(orphans: false) == 2)  // sent and failed; the orphan waits
        #expect(try await harness.relay("r").reconcileHolds() == 1)
        let balance = try #require(try await harness.wallets.balance(of: .team("acme")))
        #expect(balance.reserved == MicroUSD(queued.priceMicroUSD))
        #expect(balance.balance == MicroUSD(usd: 10) - MicroUSD(sent.priceMicroUSD))
        #expect(try await harness.messages.message(failed.id, tenant: "acme")?.status == .failed)
        #expect(try await harness.wallets.audit().isEmpty)
        await harness.close()
    }

    @Test("a message a delivery report finished while it is still in the outbox keeps its hold: the relay sends and settles it", arguments: BackendKind.allCases)
    func holdOfReportedMessageInTheOutbox(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let message = try await harness.messages.accept(Self.sms("+14155550101"), tenant: "acme", idempotencyKey: nil).message
        // An early report (before the send's answer) made it undelivered; its outbox row stays.
        _ = try await harness.backend.write { db in try db.run("UPDATE messages SET status = 'undelivered' WHERE id = \(message.id)") }
        #expect(try await harness.relay("r").reconcileHolds(orphans: false) == 0)
        #expect(try await harness.wallets.balance(of: .team("acme"))?.reserved == MicroUSD(message.priceMicroUSD))
        _ = try await harness.relay("r").drain()
        let balance = try #require(try await harness.wallets.balance(of: .team("acme")))
        #expect(balance.reserved == MicroUSD(0) && balance.balance == MicroUSD(usd: 10) - MicroUSD(message.priceMicroUSD))
        await harness.close()
    }

    @Test("a queued or sending message whose outbox row is gone has ended: its hold is settled if the provider took it, else released", arguments: BackendKind.allCases)
    func holdOfEndedMessage(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let unsent = try await harness.messages.accept(Self.sms("+14155550101"), tenant: "acme", idempotencyKey: nil).message
        let taken = try await harness.messages.accept(Self.sms("+14155550102"), tenant: "acme", idempotencyKey: nil).message
        let waiting = try await harness.messages.accept(Self.sms("+14155550103"), tenant: "acme", idempotencyKey: nil).message
        let (unsentSeq, takenSeq) = (unsent.sequence, taken.sequence)
        try await harness.backend.write { db in
            try db.run("DELETE FROM outbox WHERE message_seq IN (\(unsentSeq), \(takenSeq))")
            try db.run("UPDATE messages SET status = 'sending', provider_message_id = 'P-taken' WHERE seq = \(takenSeq)")
        }
        #expect(try await harness.relay("r").reconcileHolds() == 2)
        let balance = try #require(try await harness.wallets.balance(of: .team("acme")))
        #expect(balance.reserved == MicroUSD(waiting.priceMicroUSD), "the message still in the outbox keeps its hold")
        #expect(balance.balance == MicroUSD(usd: 10) - MicroUSD(taken.priceMicroUSD))
        #expect(try await harness.wallets.audit().isEmpty)
        await harness.close()
    }

    @Test("concurrent accepts with one Idempotency-Key make one message and hold its price once", arguments: BackendKind.allCases)
    func concurrentSameKey(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask { try await harness.messages.accept(Self.sms("+14155550100"), tenant: "acme", idempotencyKey: "same").message.id }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        #expect(try await harness.messages.messages(tenant: "acme", status: nil, before: nil, limit: 100).count == 1)
        #expect(try await harness.wallets.balance(of: .team("acme"))?.reserved == MicroUSD(7_900))
        #expect(try await harness.wallets.audit().isEmpty)
        await harness.close()
    }

    @Test("templates render in one pass: spaced and triple-brace placeholders, values never expanded again")
    func rendering() {
        #expect(Messages.render("Hi {{1}}, code {{ code }} / {{{raw}}} {{missing}}", ["1": "{{code}}", "code": "42", "raw": "<b>"])
                == "Hi {{code}}, code 42 / <b> {{missing}}")
        #expect(Messages.render("no close {{1", ["1": "x"]) == "no close {{1")
    }
}
