import Foundation
@testable import Jobs
import Runtime
import Testing

@Suite("Channel fallback")
struct FallbackTests {
    static let whatsappThenSMS = Messages.Request(channel: .whatsapp, to: "+14155550100", body: "your code is 1234",
                                                  fallback: [FallbackStep(channel: .sms)], fallbackAfter: .seconds(60))

    func fallbacks(_ harness: MessagingHarness) -> MessageFallbacks {
        MessageFallbacks(hub: harness.hub, backend: harness.backend, wallets: harness.wallets)
    }

    /// Moves a message's status as a delivery report does.
    func report(_ harness: MessagingHarness, _ message: MessageRecord, _ status: MessageStatus) async throws {
        let now = harness.clock.now().millisecondsSince1970
        try await harness.backend.write { db in
            _ = try OutboxStore.advance(message.sequence, to: status, detail: "provider report: \(status.rawValue)", at: now, db)
        }
    }

    func message(_ harness: MessagingHarness, _ id: String?) async throws -> MessageRecord {
        let known = try #require(id)
        return try #require(try await harness.messages.message(known, tenant: "acme"))
    }

    @Test("WhatsApp reported undelivered → the SMS is sent, charged on its own; the history shows the chain; a repeated pass makes no second SMS", arguments: BackendKind.allCases)
    func onUndelivered(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let (first, _) = try await harness.messages.accept(Self.whatsappThenSMS, tenant: "acme", idempotencyKey: nil)
        _ = try await harness.relay("r").drain()
        #expect(try await fallbacks(harness).pass() == 0, "sent, and its minute is not up")
        try await report(harness, first, .undelivered)
        #expect(try await fallbacks(harness).pass() == 1)
        let original = try await message(harness, first.id)
        let second = try await message(harness, original.nextID)
        #expect(second.channel == .sms && second.to == "+14155550100" && second.body == "your code is 1234" && second.previousID == first.id)
        #expect(original.events.last?.detail?.contains("next attempt \(second.id) by sms") == true)
        #expect(second.events.first?.detail == "fallback: the attempt after \(first.id)")
        _ = try await harness.relay("r").drain()
        #expect(harness.provider.calls.map(\.channel) == [.whatsapp, .sms])
        let balance = try #require(try await harness.wallets.balance(of: .team("acme")))
        #expect(balance.balance == MicroUSD(usd: 10) - MicroUSD(5_000) - MicroUSD(7_900), "the undelivered WhatsApp is still charged: it was sent")
        #expect(balance.reserved == .zero)

        // As if the process died after making the SMS but before linking it: the pass links the same SMS again.
        _ = try await harness.backend.write { db in
            try db.run("UPDATE messages SET next_id = NULL, fallback = '[{\"channel\":\"sms\",\"to\":\"+14155550100\",\"body\":\"your code is 1234\"}]', fallback_due_at = 0 WHERE id = \(first.id)")
        }
        #expect(try await fallbacks(harness).pass() == 1)
        #expect(try await message(harness, first.id).nextID == second.id)
        #expect(try await harness.messages.messages(tenant: "acme", status: nil, before: nil, limit: 10).count == 2)
        #expect(try await harness.wallets.audit().isEmpty)
        await harness.close()
    }

    @Test("no delivery report within fallbackAfter → the next channel is sent (test clock)", arguments: BackendKind.allCases)
    func onTimeout(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let (first, _) = try await harness.messages.accept(Self.whatsappThenSMS, tenant: "acme", idempotencyKey: nil)
        _ = try await harness.relay("r").drain()
        harness.clock.advance(by: .seconds(59))
        #expect(try await fallbacks(harness).pass() == 0)
        harness.clock.advance(by: .seconds(1))
        #expect(try await fallbacks(harness).pass() == 1)
        #expect(try await message(harness, first.id).nextID != nil)
        #expect(try await fallbacks(harness).pass() == 0)
        await harness.close()
    }

    @Test("a late delivered for the earlier attempt cancels the next one before it is sent; its hold is released", arguments: BackendKind.allCases)
    func lateDeliveredCancels(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let (first, _) = try await harness.messages.accept(Self.whatsappThenSMS, tenant: "acme", idempotencyKey: nil)
        _ = try await harness.relay("r").drain()
        harness.clock.advance(by: .seconds(60))
        #expect(try await fallbacks(harness).pass() == 1)
        let next = try await message(harness, try await message(harness, first.id).nextID)
        #expect(try await harness.wallets.balance(of: .team("acme"))?.reserved == MicroUSD(7_900))
        try await report(harness, first, .delivered)
        let cancelled = try await message(harness, next.id)
        #expect(cancelled.status == .cancelled && cancelled.events.last?.detail == "an earlier attempt was delivered")
        #expect(try await harness.relay("r").drain().processed == 0)
        #expect(try await harness.relay("r").reconcileHolds(orphans: false) == 1)
        let balance = try #require(try await harness.wallets.balance(of: .team("acme")))
        #expect(balance.balance == MicroUSD(usd: 10) - MicroUSD(5_000) && balance.reserved == .zero)
        #expect(harness.provider.calls.map(\.channel) == [.whatsapp])
        await harness.close()
    }

    @Test("a send that fails at the provider falls back at once; a suppressed fallback recipient is skipped and noted", arguments: BackendKind.allCases)
    func onFailureAndSuppressed(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        harness.provider.script("+14155550100", [.failure(MessagingError(.permanent, code: "63016", "outside the 24 h window"))])
        var request = Self.whatsappThenSMS
        request.fallback = [FallbackStep(channel: .sms), FallbackStep(channel: .email, to: "ann@example.com", subject: "Your code")]
        try await harness.backend.write { db in
            try Suppressions.add(tenant: "acme", channel: .sms, address: "+14155550100", reason: "replied STOP", at: 0, db)
        }
        let (first, _) = try await harness.messages.accept(request, tenant: "acme", idempotencyKey: nil)
        _ = try await harness.relay("r").drain()
        #expect(try await message(harness, first.id).status == .failed)
        #expect(try await fallbacks(harness).pass() == 1)
        let original = try await message(harness, first.id)
        #expect(original.events.contains { $0.detail == "fallback by sms not sent: the recipient opted out" })
        let email = try await message(harness, original.nextID)
        #expect(email.channel == .email && email.to == "ann@example.com" && email.subject == "Your code" && email.body == "your code is 1234")
        await harness.close()
    }

    @Test("fallback steps are checked when the message is accepted, each field named", arguments: BackendKind.allCases)
    func validation(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        let cases: [([FallbackStep], Duration?, String)] = [
            ([FallbackStep(channel: .email)], nil, "fallback[0].to"),
            ([FallbackStep(channel: .email, to: "ann@example.com")], nil, "fallback[0].subject"),
            ([FallbackStep(channel: .sms, to: "12")], nil, "fallback[0].to"),
            ([FallbackStep(channel: .sms, templateID: 999)], nil, "fallback[0].templateId"),
            (Array(repeating: FallbackStep(channel: .sms), count: 4), nil, "fallback"),
            ([FallbackStep(channel: .sms)], .seconds(5), "fallbackAfterSeconds"),
        ]
        for (steps, after, field) in cases {
            let request = Messages.Request(channel: .whatsapp, to: "+14155550100", body: "hi", fallback: steps, fallbackAfter: after)
            let error = await #expect(throws: Messages.Invalid.self) { _ = try await harness.messages.accept(request, tenant: "acme", idempotencyKey: nil) }
            #expect(error?.field == field, "\(steps)")
        }
        #expect(try await harness.wallets.balance(of: .team("acme"))?.reserved == .zero)
        await harness.close()
    }
}
