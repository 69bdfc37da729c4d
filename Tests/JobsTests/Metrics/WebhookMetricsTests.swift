import Foundation
@testable import Jobs
import MetricsTestKit
import Runtime
import Testing

@Suite("Webhook delivery metrics")
struct WebhookMetricsTests {
    @Test("each attempt is counted by outcome (retrying, delivered, failed) with its latency; no tenant or URL label", .timeLimit(.minutes(5)))
    func attemptsByOutcome() async throws {
        try await Receiver.run(statuses: [500, 500]) { url, _ in
            let metrics = TestMetrics()
            let harness = try await MessagingHarness.open()
            try await harness.fund("acme")
            var configuration = WebhookConfiguration.development
            configuration.retryWindow = .seconds(6)  // room for the 5 s retry, not for the 5 min one after it
            let endpoints = WebhookEndpoints(backend: harness.backend, configuration: configuration, clock: harness.clock)
            _ = try await endpoints.create(tenant: "acme", url: url, events: ["message.queued"], description: nil)
            let send = { @Sendable in
                _ = try await harness.messages.accept(Messages.Request(channel: .sms, to: "+14155550100", body: "hi"), tenant: "acme",
                                                      idempotencyKey: nil)
            }
            try await send()
            let client = WebhookDispatcher.makeClient()
            let dispatcher = WebhookDispatcher(backend: harness.backend, client: client, configuration: configuration, clock: harness.clock,
                                               metrics: WebhookMetrics(factory: metrics))
            // Made with the dispatcher: every outcome's series shows before the first delivery.
            for outcome in ["delivered", "retrying", "failed"] {
                #expect(try metrics.expectCounter("switchboard_webhook_deliveries_total", [("outcome", outcome)]).totalValue == 0)
            }
            #expect(try await dispatcher.pass().retried == 1, "500: tried again in 5 s")
            harness.clock.advance(by: .seconds(5))
            #expect(try await dispatcher.pass().failed == 1, "500 again, and the next try would be past the window")
            try await send()
            #expect(try await dispatcher.pass().delivered == 1)

            #expect(try metrics.expectCounter("switchboard_webhook_deliveries_total", [("outcome", "retrying")]).totalValue == 1)
            #expect(try metrics.expectCounter("switchboard_webhook_deliveries_total", [("outcome", "delivered")]).totalValue == 1)
            #expect(try metrics.expectCounter("switchboard_webhook_deliveries_total", [("outcome", "failed")]).totalValue == 1)
            for outcome in ["delivered", "retrying", "failed"] {
                #expect(try metrics.expectTimer("switchboard_webhook_delivery_duration_seconds", [("outcome", outcome)]).values.count == 1)
            }
            #expect(metrics.counters.allSatisfy { counter in counter.dimensions.allSatisfy { $0.0 == "outcome" } })
            try await client.shutdown()
            await harness.close()
        }
    }
}
