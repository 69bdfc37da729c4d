import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import HTTPFront
@testable import Jobs
import MockProvider
import Runtime
import Testing

/// A message and the webhooks it raises are sent later, by other tasks (the relay, the
/// dispatcher), yet carry the trace of the request that queued the message: it is stored with
/// the outbox row and the webhook event. The deliveries are counted on `/metrics` too.
@Suite("Trace context through the outbox and tenant webhooks")
struct MessageTraceTests {
    static let account = "AC" + String(repeating: "0", count: 31) + "1"

    @Test("the Twilio send and both webhooks (message.queued, message.sent) continue the request's trace; /metrics counts the deliveries")
    func outboxAndWebhooks() async throws {
        TestTracing.bootstrap()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)  // after the tracer: the client takes it now
        try await MockProvider.withRunning(MockProvider.Configuration(messaging: .init(twilioAuthToken: "secret"))) { mock, url in
            try await HookReceiver.run { hookURL, receiver in
                let twilio = TwilioProvider(baseURL: url, contentBaseURL: url, accountSID: Self.account, authToken: "secret",
                                            smsFrom: "+15005550000", client: client)
                var configuration = MessagingConfiguration.development
                configuration.routes = [.sms: "twilio"]
                let harness = try await Harness.make(messaging: { MessagingHub(configuration: configuration, providers: [twilio], clock: $0) })
                let token = try await harness.token()
                let webhookClient = WebhookDispatcher.makeClient()
                try await harness.test { http in
                    try await http.credit(tenant: TestKeys.tenant, amount: "1.00")
                    let endpoint = try await http.send(.post, WebhookEndpointsAPITests.path, token: token,
                                                       json: #"{"url":"\#(hookURL)","events":["message.*"]}"#)
                    #expect(endpoint.status == .created)
                    let queued = try await http.send(.post, MessagingAPITests.messages, token: token,
                                                     json: #"{"channel":"sms","to":"+14155550100","body":"hi"}"#,
                                                     headers: TracePropagationTests.incoming)
                    #expect(queued.status == .accepted, "\(String(buffer: queued.body))")

                    // Later, outside the request: the relay sends, the dispatcher delivers.
                    let relay = OutboxRelay(hub: harness.messaging, backend: harness.runtime.backend, wallets: harness.runtime.wallets)
                    #expect(try await relay.drain().sent == 1)
                    #expect(mock.traceparents.count == 1)
                    TracePropagationTests.continues(mock.traceparents.last)

                    let dispatcher = WebhookDispatcher(backend: harness.runtime.backend, client: webhookClient, configuration: .development,
                                                       clock: harness.clock, metrics: WebhookMetrics(factory: harness.metrics.factory))
                    #expect(try await dispatcher.drain().delivered == 2)
                    let posts = receiver.posts
                    #expect(posts.count == 2)
                    #expect(posts.contains { $0.body.contains(#""type":"message.queued""#) })
                    #expect(posts.contains { $0.body.contains(#""type":"message.sent""#) })
                    for post in posts { TracePropagationTests.continues(post.traceparent) }

                    let metrics = try await PrometheusText.scrape(http)
                    #expect(metrics.value("switchboard_webhook_deliveries_total", ["outcome": "delivered"]) == 2)
                    #expect(metrics.value("switchboard_webhook_deliveries_total", ["outcome": "retrying"]) == 0)
                    #expect(metrics.value("switchboard_webhook_deliveries_total", ["outcome": "failed"]) == 0)
                    #expect(metrics.value("switchboard_webhook_delivery_duration_seconds_count", ["outcome": "delivered"]) == 2)
                }
                try await webhookClient.shutdown()
            }
        }
        try await client.shutdown()
    }
}
