import Crypto
import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import MockProvider
import Runtime
import Testing

@Suite("SendGrid Event Webhook: ECDSA-signed, fresh, stored once, applied")
struct SendGridEventTests {
    static let path = "/cpaas/v1/webhooks/sendgrid/events"
    static let key = P256.Signing.PrivateKey()

    static func post(_ client: any TestClientProtocol, _ body: String, timestamp: Date, key: P256.Signing.PrivateKey = Self.key,
                     signed: Bool = true) async throws -> TestResponse {
        let stamp = String(Int(timestamp.timeIntervalSince1970))
        var headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("X-Twilio-Email-Event-Webhook-Timestamp")!: stamp]
        if signed {
            let signature = try key.signature(for: Data(stamp.utf8) + Data(body.utf8))
            headers[HTTPField.Name("X-Twilio-Email-Event-Webhook-Signature")!] = signature.derRepresentation.base64EncodedString()
        }
        return try await client.executeRequest(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test("bad, missing and stale signatures are 403; delivered moves the email once; a bounce suppresses the recipient")
    func events() async throws {
        try await MockProvider.withRunning(MockProvider.Configuration(messaging: .init(sendGridAPIKey: "SG.key"))) { _, url in
            // SendGrid shows its verification key as base64 DER.
            let published = Self.key.publicKey.derRepresentation.base64EncodedString()
            let harness = try await Harness.make(messaging: { clock in
                let sendGrid = SendGridProvider(baseURL: url, apiKey: "SG.key", from: "noreply@switchboard.test",
                                                eventWebhookPublicKey: published, clock: clock)
                var configuration = MessagingConfiguration.development
                configuration.routes = [.email: "sendgrid"]
                return MessagingHub(configuration: configuration, providers: [sendGrid], clock: clock)
            })
            let token = try await harness.token()
            try await harness.test { client in
                try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
                func send(_ to: String) async throws -> String {
                    let sent = try ParsedEnvelope(try await client.send(.post, "/cpaas/v1/messages", token: token,
                                                                       json: #"{"channel":"email","to":"\#(to)","subject":"s","body":"b"}"#))
                    return try #require(sent.dataObject?["id"] as? String)
                }
                let good = try await send("ana@example.test"), bounced = try await send("bob@example.test")
                #expect(try await client.send(.post, "/cpaas/v1/_internal/process-outbox", internalKey: TestKeys.internalKey).status == .ok)

                let now = harness.clock.now()
                let body = """
                    [{"event":"delivered","sg_event_id":"e1","sg_message_id":"x.filter1","switchboard_message_id":"\(good)","email":"ana@example.test"},
                     {"event":"bounce","sg_event_id":"e2","switchboard_message_id":"\(bounced)","status":"5.1.1"},
                     {"event":"open","sg_event_id":"e3","switchboard_message_id":"\(good)"}]
                    """
                #expect(try await Self.post(client, body, timestamp: now, signed: false).status == .forbidden)
                #expect(try await Self.post(client, body, timestamp: now, key: P256.Signing.PrivateKey()).status == .forbidden)
                #expect(try await Self.post(client, body, timestamp: now.addingTimeInterval(-301)).status == .forbidden)
                let accepted = try await Self.post(client, body, timestamp: now)
                #expect(accepted.status == .ok)
                #expect(try ParsedEnvelope(accepted).dataObject?["recorded"] as? Int == 3)
                #expect(try ParsedEnvelope(try await Self.post(client, body, timestamp: now)).dataObject?["recorded"] as? Int == 0)
                // Mail someone else sent on the account (no id of ours, none of SendGrid's): not stored at all.
                let foreign = try await Self.post(client, #"[{"event":"delivered","sg_event_id":"e9","email":"x@example.test"}]"#, timestamp: now)
                #expect(try ParsedEnvelope(foreign).dataObject?["recorded"] as? Int == 0)

                try await BatchTests.waitUntil(harness, "the events are applied") {
                    try await harness.runtime.sqlite!.read { db in
                        try db.scalar("SELECT count(*) FROM delivery_reports WHERE applied_at IS NULL") == 0
                    }
                }
                #expect(try await DeliveryWebhookTests.status(client, good, token: token).0 == "delivered")
                #expect(try await DeliveryWebhookTests.status(client, bounced, token: token).0 == "undelivered")
                let again = try await client.send(.post, "/cpaas/v1/messages", token: token,
                                                  json: #"{"channel":"email","to":"BOB@example.test","subject":"s","body":"b"}"#)
                #expect(try ParsedEnvelope(again).errorCode == "recipient_suppressed")
            }
        }
    }
}
