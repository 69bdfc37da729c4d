import Foundation
@testable import Jobs
import MetricsTestKit
import Runtime
import Testing

@Suite("Webhook delivery metrics")
struct WebhookMetricsTests {
    @Test("each attempt is counted by outcome (retrying, delivered, failed) with its latency; no tenant or URL label", .timeLimit(.minutes(1)))
    func attemptsByOutcome() async throws {
        try await Receiver.run(statuses: [500, 200]) { url, _ in
            let metrics = TestMetrics()
            let harness = try await MessagingHarness.open()
            try await harness.fund("acme")
            let endpoints = WebhookEndpoints(database: harness.database, configuration: .development, clock: harness.clock)
            let (kept, _) = try await endpoints.create(tenant: "acme", url: url, events: ["message.queued"], description: nil)
            let (deleted, _) = try await endpoints.create(tenant: "acme", url: url + "?gone", events: ["message.queued"], description: nil)
            _ = try await harness.messages.accept(Messages.Request(channel: .sms, to: "+14155550100", body: "hi"), tenant: "acme", idempotencyKey: nil)
            #expect(try await endpoints.delete(deleted.id, tenant: "acme"))
            let client = WebhookDispatcher.makeClient()
            let dispatcher = WebhookDispatcher(database: harness.database, client: client, configuration: .development, clock: harness.clock,
                                               metrics: WebhookMetrics(factory: metrics))
            // Made with the dispatcher: every outcome's series shows before the first delivery.
            for outcome in ["delivered", "retrying", "failed"] {
                #expect(try metrics.expectCounter("switchboard_webhook_deliveries_total", [("outcome", outcome)]).totalValue == 0)
            }
            let first = try await dispatcher.pass()
            #expect(first.retried == 1 && first.failed == 1, "kept: 500 → retrying; deleted → failed")
            harness.clock.advance(by: .seconds(5))
            #expect(try await dispatcher.pass().delivered == 1)

            #expect(try metrics.expectCounter("switchboard_webhook_deliveries_total", [("outcome", "retrying")]).totalValue == 1)
            #expect(try metrics.expectCounter("switchboard_webhook_deliveries_total", [("outcome", "delivered")]).totalValue == 1)
            #expect(try metrics.expectCounter("switchboard_webhook_deliveries_total", [("outcome", "failed")]).totalValue == 1)
            #expect(try metrics.expectTimer("switchboard_webhook_delivery_duration_seconds", [("outcome", "delivered")]).values.count == 1)
            #expect(try metrics.expectTimer("switchboard_webhook_delivery_duration_seconds", [("outcome", "retrying")]).values.count == 1)
            #expect(metrics.counters.allSatisfy { counter in counter.dimensions.allSatisfy { $0.0 == "outcome" } })
            _ = kept
            try await client.shutdown()
            await harness.close()
        }
    }
}
