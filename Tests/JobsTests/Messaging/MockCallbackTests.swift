import Foundation
import Hummingbird
@testable import Jobs
@testable import MockProvider
import Testing

@Suite("mock-provider's Twilio status callbacks")
struct MockCallbackTests {
    @Test("signed as Twilio signs them (its documented example)")
    func signature() {
        let fields = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675310"), ("Digits", "1234"), ("From", "+14158675310"),
                      ("To", "+18005551212")].map { (name: $0.0, value: $0.1) }
        #expect(MockProvider.twilioSignature(url: "https://mycompany.com/myapp.php?foo=1&bar=2", fields: fields, authToken: "12345")
                == "GvWf1cFY/Q7PnoempGyD5oXAezc=")
    }

    /// One post the receiver got: the form and its signature header.
    struct Post: Sendable {
        var form: String
        var signature: String?
    }

    /// Runs a loopback receiver that hands on every form it is posted, with its signature header.
    static func withReceiver(_ body: @Sendable (String, AsyncStream<Post>) async throws -> Void) async throws {
        let (posts, sink) = AsyncStream.makeStream(of: Post.self)
        let router = Router()
        router.post("/cb") { request, _ -> HTTPResponse.Status in
            let form = String(buffer: try await request.body.collect(upTo: 1 << 16))
            sink.yield(Post(form: form, signature: request.headers.first { $0.name.canonicalName == "x-twilio-signature" }?.value))
            return .ok
        }
        try await LoopbackServer.run(router) { url in try await body(url + "/cb", posts) }
    }

    @Test("after a send that asks: sent then delivered, signed; twice and reversed when told", .timeLimit(.minutes(5)))
    func callbacks() async throws {
        let token = "secret"
        try await Self.withReceiver { url, received in
            let behaviour = MockProvider.TwilioCallbacks(delay: .milliseconds(1), duplicateRate: 1, outOfOrderRate: 1)
            try await MockProvider.withRunning(MockProvider.Configuration(messaging: .init(twilioAuthToken: token, twilioCallbacks: behaviour))) { _, mockURL in
                let twilio = TwilioProvider(baseURL: mockURL, accountSID: TwilioAdapterTests.account, authToken: token, smsFrom: "+15005550000",
                                            statusCallbackURL: url)
                let receipt = try await twilio.send(OutgoingMessage(id: "msg_1", channel: .sms, to: "+14155550100", body: "hi"))
                var posts: [Post] = []
                for await post in received {
                    posts.append(post)
                    if posts.count == 3 { break }
                }
                let statuses = posts.compactMap { FormEncoding.decode($0.form)?.first { $0.name == "MessageStatus" }?.value }
                #expect(statuses == ["delivered", "sent", "sent"])
                for post in posts {
                    let fields = try #require(FormEncoding.decode(post.form))
                    #expect(fields.contains { $0.name == "MessageSid" && $0.value == receipt.providerMessageID })
                    #expect(post.signature == MockProvider.twilioSignature(url: url + "?m=msg_1", fields: fields, authToken: token))
                }
            }
        }
    }
}
