import Foundation
@testable import Jobs
import MockProvider
import Runtime
import Testing

@Suite("Outbox relay through the Twilio adapter and mock-provider")
struct RelayOverTwilioTests {
    @Test("sent with the provider's id; 21211 fails the message with its code; 429 leaves it to retry after the wait")
    func outcomes() async throws {
        try await MockProvider.withRunning(MockProvider.Configuration(messaging: .init(twilioAuthToken: "secret"))) { _, url in
            let base = try await MessagingHarness.open()
            let twilio = TwilioProvider(baseURL: url, contentBaseURL: url, accountSID: TwilioAdapterTests.account, authToken: "secret",
                                        smsFrom: "+15005550000", whatsAppFrom: "+14155238886")
            var configuration = base.hub.configuration
            configuration.routes = [.sms: "twilio", .whatsapp: "twilio"]
            let hub = MessagingHub(configuration: configuration, providers: [twilio], clock: base.clock)
            try await base.fund("acme")
            let messages = Messages(hub: hub, backend: base.backend, wallets: base.wallets)
            let good = try await messages.accept(.init(channel: .sms, to: "+14155550100", body: "hi"), tenant: "acme", idempotencyKey: nil).message
            let invalid = try await messages.accept(.init(channel: .sms, to: "+15005550001", body: "hi"), tenant: "acme", idempotencyKey: nil).message
            let limited = try await messages.accept(.init(channel: .sms, to: "+15005550429", body: "hi"), tenant: "acme", idempotencyKey: nil).message

            let relay = OutboxRelay(hub: hub, backend: base.backend, wallets: base.wallets, owner: "r")
            let report = try await relay.drain()
            #expect(report.sent == 1 && report.failed == 1 && report.retried == 1 && report.remaining == 1)
            let sent = try #require(try await messages.message(good.id, tenant: "acme"))
            #expect(sent.status == .sent && sent.providerMessageID?.hasPrefix("SM") == true)
            let failed = try #require(try await messages.message(invalid.id, tenant: "acme"))
            #expect(failed.status == .failed && failed.errorCode == "21211")
            let waiting = try #require(try await messages.message(limited.id, tenant: "acme"))
            #expect(waiting.status == .sending && waiting.attempts == 1 && waiting.errorCode == "20429")
            #expect(try await relay.drain().processed == 0)  // not due again until the provider's wait has passed
            base.clock.advance(by: .seconds(2))
            #expect(try await relay.drain().retried == 1)
            let delivered = try await MockMessages.fetch(url)
            #expect(delivered.messages.map(\.dedupeKey) == [good.id])
            // Charged for the one sent; the failed one's hold released; the waiting one still held.
            let balance = try #require(try await base.wallets.balance(of: .team("acme")))
            #expect(balance.balance == MicroUSD(usd: 10) - MicroUSD(7_900) && balance.reserved == MicroUSD(7_900))
            await base.close()
        }
    }
}
