import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import MockProvider
import Runtime
import Testing

@Suite("Twilio status callbacks: signed, stored once, applied forward only")
struct DeliveryWebhookTests {
    static let account = "AC" + String(repeating: "0", count: 31) + "1"
    static let token = "secret"
    static let base = "https://switchboard.example"
    static let path = "/cpaas/v1/webhooks/twilio/status"

    @Test("the signature of Twilio's documented example")
    func documentedVector() {
        let fields = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675310"), ("Digits", "1234"), ("From", "+14158675310"),
                      ("To", "+18005551212")].map { (name: $0.0, value: $0.1) }
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
        #expect(TwilioSignature.sign(url: url, fields: fields, authToken: "12345") == "GvWf1cFY/Q7PnoempGyD5oXAezc=")
        #expect(TwilioSignature.isValid("GvWf1cFY/Q7PnoempGyD5oXAezc=", url: url, fields: fields, authToken: "12345"))
        #expect(!TwilioSignature.isValid("GvWf1cFY/Q7PnoempGyD5oXAezc=", url: url + "&x=1", fields: fields, authToken: "12345"))
        #expect(!TwilioSignature.isValid("GvWf1cFY/Q7PnoempGyD5oXAezc=", url: url, fields: fields, authToken: "54321"))
        #expect(!TwilioSignature.isValid("not base64!", url: url, fields: fields, authToken: "12345"))
    }

    /// A status callback as Twilio posts it, signed with `token` over the public URL.
    static func callback(_ client: any TestClientProtocol, sid: String, status: String, message: String? = nil,
                         errorCode: String? = nil, signWith token: String? = Self.token) async throws -> TestResponse {
        let query = message.map { "?m=" + $0 } ?? ""
        var fields = [(name: "AccountSid", value: account), (name: "MessageSid", value: sid), (name: "MessageStatus", value: status)]
        if let errorCode { fields.append((name: "ErrorCode", value: errorCode)) }
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let token { headers[HTTPField.Name("X-Twilio-Signature")!] = TwilioSignature.sign(url: base + path + query, fields: fields, authToken: token) }
        return try await client.executeRequest(uri: path + query, method: .post, headers: headers,
                                               body: ByteBuffer(string: FormEncoding.encode(fields)))
    }

    static func status(_ client: any TestClientProtocol, _ id: String, token: String) async throws -> (String?, [String]) {
        let data = try ParsedEnvelope(try await client.get("/cpaas/v1/messages/\(id)", token: token)).dataObject
        let history = (data?["history"] as? [[String: Any]])?.compactMap { $0["status"] as? String } ?? []
        return (data?["status"] as? String, history)
    }

    static func harness(_ url: String) async throws -> Harness {
        try await Harness.make(messaging: { clock in
            let twilio = TwilioProvider(baseURL: url, contentBaseURL: url, accountSID: account, authToken: token, smsFrom: "+15005550000",
                                        statusCallbackURL: base + path, clock: clock)
            var configuration = MessagingConfiguration.development
            configuration.routes = [.sms: "twilio"]
            return MessagingHub(configuration: configuration, providers: [twilio], clock: clock)
        }, publicBaseURL: base)
    }

    @Test("bad or missing signatures are 403 and change nothing; a signed report moves the message once; repeats and late reports change nothing")
    func flow() async throws {
        try await MockProvider.withRunning(MockProvider.Configuration(messaging: .init(twilioAuthToken: Self.token))) { _, url in
            let harness = try await Self.harness(url)
            let token = try await harness.token()
            try await harness.test { client in
                try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
                let sent = try ParsedEnvelope(try await client.send(.post, "/cpaas/v1/messages", token: token,
                                                                   json: #"{"channel":"sms","to":"+14155550100","body":"hi"}"#))
                let id = try #require(sent.dataObject?["id"] as? String)
                #expect(try await client.send(.post, "/cpaas/v1/_internal/process-outbox", internalKey: TestKeys.internalKey).status == .ok)
                let message = try ParsedEnvelope(try await client.get("/cpaas/v1/messages/\(id)", token: token)).dataObject
                let sid = try #require(message?["providerMessageId"] as? String)

                #expect(try await Self.callback(client, sid: sid, status: "delivered", message: id, signWith: nil).status == .forbidden)
                #expect(try await Self.callback(client, sid: sid, status: "delivered", message: id, signWith: "wrong").status == .forbidden)
                #expect(try await Self.status(client, id, token: token).0 == "sent")

                let first = try await Self.callback(client, sid: sid, status: "delivered", message: id)
                #expect(first.status == .ok)
                #expect(try ParsedEnvelope(first).dataObject?["recorded"] as? Bool == true)
                try await BatchTests.waitUntil(harness, "the report is applied") {
                    try await Self.status(client, id, token: token).0 == "delivered"
                }
                let again = try await Self.callback(client, sid: sid, status: "delivered", message: id)
                #expect(try ParsedEnvelope(again).dataObject?["recorded"] as? Bool == false)
                #expect(try await Self.callback(client, sid: sid, status: "sent", message: id).status == .ok)  // late, out of order
                try await BatchTests.waitUntil(harness, "the late report is applied") {
                    try await harness.runtime.sqlite!.read { db in
                        try db.scalar("SELECT count(*) FROM delivery_reports WHERE applied_at IS NULL") == 0
                    }
                }
                let (status, history) = try await Self.status(client, id, token: token)
                #expect(status == "delivered")
                #expect(history.filter { $0 == "delivered" }.count == 1)
                #expect(!history.suffix(1).contains("sent"))
            }
        }
    }

    @Test("a report that comes before the send's answer is kept: by our id it applies at once; unknown, it waits")
    func reportBeforeTheAnswer() async throws {
        try await MockProvider.withRunning(MockProvider.Configuration(messaging: .init(twilioAuthToken: Self.token))) { _, url in
            let harness = try await Self.harness(url)
            let token = try await harness.token()
            try await harness.test { client in
                try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
                // Not sent yet (it waits for its sendAt): as if the send's answer had not come back.
                let later = ISO8601DateFormatter().string(from: harness.clock.now().addingTimeInterval(3_600))
                let sent = try ParsedEnvelope(try await client.send(.post, "/cpaas/v1/messages", token: token,
                                                                   json: #"{"channel":"sms","to":"+14155550100","body":"hi","sendAt":"\#(later)"}"#))
                let id = try #require(sent.dataObject?["id"] as? String, "\(sent.object)")
                #expect(try await Self.callback(client, sid: "SMearly", status: "undelivered", message: id, errorCode: "30003").status == .ok)
                try await BatchTests.waitUntil(harness, "the early report is applied") {
                    try await Self.status(client, id, token: token).0 == "undelivered"
                }
                #expect(try await Self.callback(client, sid: "SMnobody", status: "delivered").status == .ok)
                let kept = try await harness.runtime.sqlite!.read { db in
                    try db.scalar("SELECT count(*) FROM delivery_reports WHERE provider_message_id = 'SMnobody' AND applied_at IS NULL")
                }
                #expect(kept == 1)
            }
        }
    }

    static func inbound(_ client: any TestClientProtocol, from: String, to: String, body: String,
                        signWith token: String? = Self.token) async throws -> TestResponse {
        let path = "/cpaas/v1/webhooks/twilio/inbound"
        let fields = [(name: "AccountSid", value: account), (name: "MessageSid", value: "SMin"), (name: "From", value: from),
                      (name: "To", value: to), (name: "Body", value: body)]
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let token { headers[HTTPField.Name("X-Twilio-Signature")!] = TwilioSignature.sign(url: base + path, fields: fields, authToken: token) }
        return try await client.executeRequest(uri: path, method: .post, headers: headers, body: ByteBuffer(string: FormEncoding.encode(fields)))
    }

    @Test("STOP opts the recipient out: a send is 422 recipient_suppressed before anything is held; START, DELETE and 21610")
    func optOuts() async throws {
        try await MockProvider.withRunning(MockProvider.Configuration(messaging: .init(twilioAuthToken: Self.token))) { _, url in
            let harness = try await Self.harness(url)
            let token = try await harness.token()
            try await harness.test { client in
                try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
                let sms = #"{"channel":"sms","to":"+14155550100","body":"hi"}"#
                #expect(try await client.send(.post, "/cpaas/v1/messages", token: token, json: sms).status == .accepted)
                #expect(try await client.send(.post, "/cpaas/v1/_internal/process-outbox", internalKey: TestKeys.internalKey).status == .ok)

                #expect(try await Self.inbound(client, from: "+14155550100", to: "+15550000000", body: " stop ", signWith: "wrong").status == .forbidden)
                let stop = try await Self.inbound(client, from: "+14155550100", to: "+15550000000", body: " stop ")
                #expect(try ParsedEnvelope(stop).dataObject?["subscription"] as? String == "opted_out")
                let listed = try ParsedEnvelope(try await client.get("/cpaas/v1/suppressions", token: token)).dataArray
                #expect(listed?.map { $0["address"] as? String } == ["+14155550100"])
                #expect(listed?.first?["reason"] as? String == "replied STOP")

                let before = try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))
                let refused = try await client.send(.post, "/cpaas/v1/messages", token: token, json: sms)
                #expect(refused.status == .unprocessableContent)
                #expect(try ParsedEnvelope(refused).errorCode == "recipient_suppressed")
                #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)) == before)
                let count = try ParsedEnvelope(try await client.get("/cpaas/v1/messages", token: token)).dataArray?.count
                #expect(count == 1)

                _ = try await Self.inbound(client, from: "+14155550100", to: "+15550000000", body: "START")
                #expect(try await client.send(.post, "/cpaas/v1/messages", token: token, json: sms).status == .accepted)

                // Twilio's 21610 (the mock's +15005550006) suppresses too; DELETE takes it off once.
                #expect(try await client.send(.post, "/cpaas/v1/messages", token: token,
                                              json: #"{"channel":"sms","to":"+15005550006","body":"hi"}"#).status == .accepted)
                #expect(try await client.send(.post, "/cpaas/v1/_internal/process-outbox", internalKey: TestKeys.internalKey).status == .ok)
                let again = try await client.send(.post, "/cpaas/v1/messages", token: token, json: #"{"channel":"sms","to":"+15005550006","body":"x"}"#)
                #expect(try ParsedEnvelope(again).errorCode == "recipient_suppressed")
                // START undoes a STOP, not the provider's 21610.
                _ = try await Self.inbound(client, from: "+15005550006", to: "+15550000000", body: "START")
                let still = try await client.send(.post, "/cpaas/v1/messages", token: token, json: #"{"channel":"sms","to":"+15005550006","body":"y"}"#)
                #expect(try ParsedEnvelope(still).errorCode == "recipient_suppressed")
                #expect(try await client.send(.delete, "/cpaas/v1/suppressions/sms/%2B15005550006", token: token).status == .ok)
                #expect(try await client.send(.delete, "/cpaas/v1/suppressions/sms/%2B15005550006", token: token).status == .notFound)
                #expect(try await client.send(.delete, "/cpaas/v1/suppressions/fax/x", token: token).status == .badRequest)
            }
        }
    }

    @Test("reconciliation asks Twilio about messages still sent after an hour, and applies what it says once")
    func reconciliation() async throws {
        try await MockProvider.withRunning(MockProvider.Configuration(messaging: .init(twilioAuthToken: Self.token))) { _, url in
            let harness = try await Self.harness(url)
            let token = try await harness.token()
            try await harness.test { client in
                try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
                var ids: [String] = []
                for to in ["+14155550100", "+15005550010"] {
                    let sent = try ParsedEnvelope(try await client.send(.post, "/cpaas/v1/messages", token: token,
                                                                       json: #"{"channel":"sms","to":"\#(to)","body":"hi"}"#))
                    ids.append(try #require(sent.dataObject?["id"] as? String))
                }
                #expect(try await client.send(.post, "/cpaas/v1/_internal/process-outbox", internalKey: TestKeys.internalKey).status == .ok)
                let reconcile = NewJob(kind: DeliveryReconcileJob.kind, tenant: "system")
                // Too soon: nothing is asked.
                let early = try await harness.runtime.enqueue(reconcile).job.id
                try await BatchTests.waitUntil(harness, tick: .zero, "the early pass ends") {
                    try await harness.runtime.job(early, tenant: nil)?.state == .succeeded
                }
                #expect(try await Self.status(client, ids[0], token: token).0 == "sent")
                harness.clock.advance(by: .seconds(3_601))
                try await harness.runtime.enqueue(reconcile)
                try await BatchTests.waitUntil(harness, tick: .zero, "the stuck messages are reconciled") {
                    try await Self.status(client, ids[1], token: token).0 == "undelivered"
                }
                #expect(try await Self.status(client, ids[0], token: token).0 == "delivered")
                let message = try ParsedEnvelope(try await client.get("/cpaas/v1/messages/\(ids[1])", token: token)).dataObject
                #expect((message?["error"] as? [String: Any])?["code"] as? String == "30003")
            }
        }
    }
}
