import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import MockProvider
@testable import Jobs
import Runtime
import Synchronization
import Testing

@Suite("Tenant webhooks")
struct TenantWebhookTests {
    @Test("signed as Standard Webhooks signs (the specification's example)")
    func signature() throws {
        let signature = WebhookSignature.sign(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                              timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSignature.sign(secret: "not-a-secret", id: "x", timestamp: 1, body: Data()) == nil)
        let secret = WebhookSignature.makeSecret()
        #expect(secret.hasPrefix("whsec_") && Data(base64Encoded: String(secret.dropFirst(6)))?.count == 32)
    }

    @Test("addresses: public ones pass, loopback, private, link-local and mapped ones do not", arguments: [
        ("93.184.216.34", WebhookURLPolicy.AddressClass.public), ("127.0.0.1", .loopback), ("127.9.9.9", .loopback), ("10.1.2.3", .private),
        ("172.16.0.1", .private), ("172.32.0.1", .public), ("192.168.1.1", .private), ("169.254.169.254", .private), ("100.64.0.1", .private),
        ("0.0.0.0", .private), ("224.0.0.1", .private), ("::1", .loopback), ("::", .private), ("fe80::1", .private), ("fd00::1", .private),
        ("::ffff:127.0.0.1", .loopback), ("::ffff:10.0.0.1", .private), ("64:ff9b::a9fe:a9fe", .private), ("2606:4700::1111", .public),
    ])
    func addresses(address: String, expected: WebhookURLPolicy.AddressClass) throws {
        let bytes = try #require(WebhookURLPolicy.literal(address))
        #expect(WebhookURLPolicy.classify(bytes) == expected)
    }

    @Test("production refuses http://, user info and every non-public host (SSRF); the operator can allow private networks")
    func urlPolicy() async throws {
        let production = WebhookURLPolicy(configuration: .production)
        for url in ["http://93.184.216.34/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://169.254.169.254/latest/meta-data",
                    "https://10.0.0.7/hook", "https://[::1]/hook", "https://[fe80::1]/hook", "https://user:pw@93.184.216.34/", "ftp://93.184.216.34/",
                    "not a url", "https://no-such-host.invalid/hook"] {
            await #expect(throws: WebhookURLPolicy.Refusal.self, "\(url)") { _ = try await production.check(url) }
        }
        #expect(try await production.check("https://93.184.216.34/hook").absoluteString == "https://93.184.216.34/hook")
        let development = WebhookURLPolicy(configuration: .development)
        _ = try await development.check("http://127.0.0.1:9/hook")
        _ = try await development.check("http://localhost:9/hook")
        await #expect(throws: WebhookURLPolicy.Refusal.self) { _ = try await development.check("http://10.0.0.7/hook") }
        var inside = WebhookConfiguration.production
        inside.allowPrivateNetworks = true
        _ = try await WebhookURLPolicy(configuration: inside).check("https://10.0.0.7/hook")
    }

    @Test("an endpoint hears only the events it subscribed to, in the commit of the change; other tenants hear nothing", arguments: BackendKind.allCases)
    func events(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme")
        try await harness.fund("globex")
        let endpoints = WebhookEndpoints(backend: harness.backend, configuration: .development, clock: harness.clock)
        let sentOnly = try await endpoints.create(tenant: "acme", url: "http://127.0.0.1:9/a", events: ["message.sent"], description: nil)
        let all = try await endpoints.create(tenant: "acme", url: "http://127.0.0.1:9/b", events: ["message.*", "batch.completed"], description: "all")
        _ = try await endpoints.create(tenant: "globex", url: "http://127.0.0.1:9/c", events: ["*"], description: nil)
        let (message, _) = try await harness.messages.accept(Messages.Request(channel: .sms, to: "+14155550100", body: "hi"), tenant: "acme",
                                                             idempotencyKey: nil)
        _ = try await harness.relay("r").drain()

        let toSentOnly = try #require(try await endpoints.deliveries(of: sentOnly.endpoint.id, tenant: "acme", before: nil, limit: 10))
        #expect(toSentOnly.map(\.eventType) == ["message.sent"])
        let toAll = try #require(try await endpoints.deliveries(of: all.endpoint.id, tenant: "acme", before: nil, limit: 10))
        #expect(toAll.map(\.eventType) == ["message.sent", "message.queued"])
        #expect(toAll.allSatisfy { $0.state == .pending && $0.attempts == 0 })
        #expect(try await endpoints.deliveries(of: all.endpoint.id, tenant: "globex", before: nil, limit: 10) == nil, "another tenant's endpoint")
        let body = try await harness.backend.read { db in
            try db.first("SELECT body FROM webhook_events WHERE type = 'message.sent'") { $0["body"] as String }
        }
        let text = try #require(body)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let data = try #require(json["data"] as? [String: Any])
        #expect(json["type"] as? String == "message.sent" && data["id"] as? String == message.id && data["status"] as? String == "sent")
        #expect(data["providerMessageId"] as? String == "P-\(message.id)")
        let globexEvents = try await harness.backend.read { db in
            try db.first("SELECT count(*) AS n FROM webhook_events WHERE tenant = 'globex'") { $0["n"] as Int64 }
        }
        #expect(globexEvents == 0)
        await harness.close()
    }

    @Test("refused: unknown events, too many endpoints; a deleted endpoint's pending deliveries fail", arguments: BackendKind.allCases)
    func endpointRules(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        var configuration = WebhookConfiguration.development
        configuration.maxEndpointsPerTenant = 2
        let endpoints = WebhookEndpoints(backend: harness.backend, configuration: configuration, clock: harness.clock)
        await #expect(throws: WebhookEndpoints.Invalid.self) {
            _ = try await endpoints.create(tenant: "acme", url: "http://127.0.0.1:9/", events: ["message.read"], description: nil)
        }
        await #expect(throws: WebhookEndpoints.Invalid.self) {
            _ = try await endpoints.create(tenant: "acme", url: "http://127.0.0.1:9/", events: [], description: nil)
        }
        let first = try await endpoints.create(tenant: "acme", url: "http://127.0.0.1:9/", events: ["*"], description: nil)
        _ = try await endpoints.create(tenant: "acme", url: "http://127.0.0.1:9/", events: ["*"], description: nil)
        await #expect(throws: WebhookEndpoints.TooMany.self) {
            _ = try await endpoints.create(tenant: "acme", url: "http://127.0.0.1:9/", events: ["*"], description: nil)
        }
        try await harness.fund("acme")
        _ = try await harness.messages.accept(Messages.Request(channel: .sms, to: "+14155550100", body: "hi"), tenant: "acme", idempotencyKey: nil)
        #expect(try await endpoints.delete(first.endpoint.id, tenant: "globex") == false)
        #expect(try await endpoints.delete(first.endpoint.id, tenant: "acme"))
        let log = try #require(try await endpoints.deliveries(of: first.endpoint.id, tenant: "acme", before: nil, limit: 10))
        #expect(log.map(\.state) == [.failed] && log.first?.lastError == "the endpoint was deleted")
        #expect(try await endpoints.list(tenant: "acme", before: nil, limit: 10).count == 1)
        await harness.close()
    }

    @Test("a delivery answered 500 twice is retried with backoff, then delivered once, with one webhook-id and valid signatures",
          .timeLimit(.minutes(5)), arguments: BackendKind.allCases)
    func retriedThenDelivered(_ kind: BackendKind) async throws {
        try await Receiver.run(statuses: [500, 500, 200]) { url, receiver in
            let harness = try await MessagingHarness.open(kind)
            try await harness.fund("acme")
            let endpoints = WebhookEndpoints(backend: harness.backend, configuration: .development, clock: harness.clock)
            let (endpoint, secret) = try await endpoints.create(tenant: "acme", url: url, events: ["message.queued"], description: nil)
            _ = try await harness.messages.accept(Messages.Request(channel: .sms, to: "+14155550100", body: "hi"), tenant: "acme", idempotencyKey: nil)
            let client = WebhookDispatcher.makeClient()
            let dispatcher = WebhookDispatcher(backend: harness.backend, client: client, configuration: .development, clock: harness.clock)

            #expect(try await dispatcher.pass().retried == 1)
            #expect(try await dispatcher.pass().processed == 0, "not due again yet")
            harness.clock.advance(by: .seconds(5))
            #expect(try await dispatcher.pass().retried == 1)
            harness.clock.advance(by: .seconds(299))
            #expect(try await dispatcher.pass().processed == 0, "the second wait is 5 minutes")
            harness.clock.advance(by: .seconds(1))
            #expect(try await dispatcher.pass().delivered == 1)
            harness.clock.advance(by: .seconds(86_400))
            #expect(try await dispatcher.pass().processed == 0, "delivered once")

            let posts = receiver.posts
            #expect(posts.count == 3)
            #expect(Set(posts.map(\.id)).count == 1 && posts[0].id.hasPrefix("evt_"))
            #expect(Set(posts.map(\.body)).count == 1)
            for post in posts {
                #expect(post.signature == WebhookSignature.sign(secret: secret, id: post.id, timestamp: post.timestamp, body: post.body))
            }
            #expect(posts.map(\.timestamp) == [1_800_000_000, 1_800_000_005, 1_800_000_305])
            let log = try #require(try await endpoints.deliveries(of: endpoint.id, tenant: "acme", before: nil, limit: 10))
            #expect(log.count == 1 && log[0].state == .delivered && log[0].attempts == 3 && log[0].nextAttemptAt == nil)
            #expect(log[0].log.map(\.statusCode) == [500, 500, 200])
            try await client.shutdown()
            await harness.close()
        }
    }

    @Test("a receiver that never answers 2xx: retried until the 24 h window, then the delivery fails", .timeLimit(.minutes(5)), arguments: BackendKind.allCases)
    func givesUpAfterWindow(_ kind: BackendKind) async throws {
        try await Receiver.run(statuses: Array(repeating: 503, count: 20)) { url, receiver in
            let harness = try await MessagingHarness.open(kind)
            try await harness.fund("acme")
            let endpoints = WebhookEndpoints(backend: harness.backend, configuration: .development, clock: harness.clock)
            let (endpoint, _) = try await endpoints.create(tenant: "acme", url: url, events: ["message.queued"], description: nil)
            _ = try await harness.messages.accept(Messages.Request(channel: .sms, to: "+14155550100", body: "hi"), tenant: "acme", idempotencyKey: nil)
            let client = WebhookDispatcher.makeClient()
            let dispatcher = WebhookDispatcher(backend: harness.backend, client: client, configuration: .development, clock: harness.clock)
            let start = harness.clock.now()
            var failed = 0
            for _ in 0..<20 {
                failed += try await dispatcher.pass().failed
                guard let next = try await dispatcher.nextDue() else { break }
                harness.clock.advance(to: next)
            }
            #expect(failed == 1)
            #expect(receiver.posts.count == 7, "5 s, 5 min, 30 min, 2 h, 5 h, 10 h: the 7th attempt's next would pass 24 h")
            #expect(harness.clock.now().timeIntervalSince(start) < 86_400)
            let log = try #require(try await endpoints.deliveries(of: endpoint.id, tenant: "acme", before: nil, limit: 10))
            #expect(log.first?.state == .failed && log.first?.lastStatusCode == 503)
            try await client.shutdown()
            await harness.close()
        }
    }

    @Test("wallet.low_balance is raised once when the balance falls below the threshold, and again only after it recovered", arguments: BackendKind.allCases)
    func lowBalance(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        try await harness.fund("acme", usd: 6)
        let endpoints = WebhookEndpoints(backend: harness.backend, configuration: .development, clock: harness.clock)
        _ = try await endpoints.create(tenant: "acme", url: "http://127.0.0.1:9/", events: ["wallet.low_balance"], description: nil)
        let job = WebhookMaintenanceJob(backend: harness.backend, wallets: harness.wallets, configuration: .development)
        let now = harness.clock.now().millisecondsSince1970
        #expect(try await job.alertLowBalances(now: now) == 0, "$6 is above the $5 threshold")
        _ = try await harness.wallets.adjust(.team("acme"), by: MicroUSD(usd: -2), reference: "t1", reason: "test")
        #expect(try await job.alertLowBalances(now: now) == 1)
        #expect(try await job.alertLowBalances(now: now) == 0, "once")
        _ = try await harness.wallets.credit(MicroUSD(usd: 10), to: .team("acme"))
        #expect(try await job.alertLowBalances(now: now) == 0)
        _ = try await harness.wallets.adjust(.team("acme"), by: MicroUSD(usd: -12), reference: "t2", reason: "test")
        #expect(try await job.alertLowBalances(now: now) == 1, "raised again after recovering")
        await harness.close()
    }
}

/// A loopback receiver that answers the scripted statuses in order (then 200) and keeps what it got.
final class Receiver: Sendable {
    struct Post: Sendable {
        var id: String
        var timestamp: Int64
        var signature: String
        var body: Data
    }

    private let state: Mutex<(statuses: [Int], posts: [Post])>

    init(statuses: [Int]) { state = Mutex((statuses, [])) }

    var posts: [Post] { state.withLock { $0.posts } }

    static func run(statuses: [Int], _ body: @Sendable (String, Receiver) async throws -> Void) async throws {
        let receiver = Receiver(statuses: statuses)
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let bytes = Data(buffer: try await request.body.collect(upTo: 1 << 16))
            func header(_ name: String) -> String { request.headers.first { $0.name.canonicalName == name }?.value ?? "" }
            let status = receiver.state.withLock { state in
                state.posts.append(Post(id: header("webhook-id"), timestamp: Int64(header("webhook-timestamp")) ?? 0,
                                        signature: header("webhook-signature"), body: bytes))
                return state.statuses.isEmpty ? 200 : state.statuses.removeFirst()
            }
            return HTTPResponse.Status(code: status)
        }
        try await LoopbackServer.run(router) { url in try await body(url + "/hook", receiver) }
    }
}
