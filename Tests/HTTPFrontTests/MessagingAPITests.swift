import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import NIOCore
import Runtime
import Testing

@Suite("CPaaS messaging API")
struct MessagingAPITests {
    static let messages = "/cpaas/v1/messages"

    /// Syncs the simulated provider's templates; returns their ids by name.
    static func syncTemplates(_ client: any TestClientProtocol, token: String) async throws -> [String: String] {
        let sync = try await client.send(.post, "/cpaas/v1/_internal/sync-templates", internalKey: TestKeys.internalKey)
        #expect(sync.status == .ok)
        let list = try #require(try ParsedEnvelope(try await client.get("/cpaas/v1/templates?limit=100", token: token)).dataArray)
        return Dictionary(uniqueKeysWithValues: list.compactMap { row in (row["name"] as? String).map { ($0, row["id"] as? String ?? "") } })
    }

    @Test("bad messages are refused with the field named, and nothing is held or written")
    func validation() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let ids = try await Self.syncTemplates(client, token: token)
            let shipped = try #require(ids["order_shipped"]), sale = try #require(ids["spring_sale"]), code = try #require(ids["login_code"])
            let past = "2020-01-01T00:00:00Z"
            let cases: [(body: String, field: String)] = [
                (#"{"channel":"fax","to":"+14155550100","body":"x"}"#, "channel"),
                (#"{"channel":"sms","to":"4155550100","body":"x"}"#, "to"),
                (#"{"channel":"sms","to":"+0155550100","body":"x"}"#, "to"),
                (#"{"channel":"sms","to":"+1415555010012345","body":"x"}"#, "to"),
                (#"{"channel":"whatsapp","to":"whatsapp:+14155550100","body":"x"}"#, "to"),
                (#"{"channel":"email","to":"not-an-address","subject":"s","body":"x"}"#, "to"),
                (#"{"channel":"email","to":"a@@b.com","subject":"s","body":"x"}"#, "to"),
                (#"{"channel":"email","to":"a b@example.com","subject":"s","body":"x"}"#, "to"),
                (#"{"channel":"email","to":"ann@example","subject":"s","body":"x"}"#, "to"),
                (#"{"channel":"email","to":"ann@example.com","body":"x"}"#, "subject"),
                (#"{"channel":"sms","to":"+14155550100","subject":"s","body":"x"}"#, "subject"),
                (#"{"channel":"sms","to":"+14155550100"}"#, "body"),
                (#"{"channel":"sms","to":"+14155550100","body":""}"#, "body"),
                (#"{"channel":"sms","to":"+14155550100","body":"x","templateId":"\#(code)","variables":{"code":"1"}}"#, "templateId"),
                (#"{"channel":"sms","to":"+14155550100","templateId":"\#(code)"}"#, "variables"),
                (#"{"channel":"sms","to":"+14155550100","templateId":"\#(code)","variables":{"code":"1","extra":"2"}}"#, "variables"),
                (#"{"channel":"whatsapp","to":"+14155550100","templateId":"\#(shipped)","variables":{"1":"Ann"}}"#, "variables"),
                (#"{"channel":"whatsapp","to":"+14155550100","templateId":"\#(sale)","variables":{"1":"Ann"}}"#, "templateId"),
                (#"{"channel":"sms","to":"+14155550100","templateId":"\#(shipped)","variables":{"1":"Ann","2":"A1"}}"#, "templateId"),
                (#"{"channel":"sms","to":"+14155550100","templateId":"999999","variables":{}}"#, "templateId"),
                (#"{"channel":"sms","to":"+14155550100","templateId":"abc"}"#, "templateId"),
                (#"{"channel":"sms","to":"+14155550100","body":"x","sendAt":"\#(past)"}"#, "sendAt"),
                (#"{"channel":"sms","to":"+14155550100","body":"x","sendAt":"tomorrow"}"#, "sendAt"),
                (#"{"channel":"sms","to":"+14155550100","body":"x","sendAt":"2099-01-01T00:00:00Z"}"#, "sendAt"),
                (#"{"channel":"sms","to":12,"body":"x"}"#, "to"),
            ]
            for item in cases {
                let response = try await client.send(.post, Self.messages, token: token, json: item.body)
                #expect(response.status == .badRequest, "\(item.body)")
                #expect(try ParsedEnvelope(response).errorField == item.field, "\(item.body): \(String(buffer: response.body))")
            }
            #expect(try ParsedEnvelope(try await client.get(Self.messages, token: token)).dataArray?.isEmpty == true)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.reserved == MicroUSD(0))
        }
    }

    @Test("a message is accepted (202 queued, price held), relayed, charged, and shows its history; others' messages are 404")
    func sendFlow() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let other = try await harness.token(tenant: TestKeys.otherTenant)
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let ids = try await Self.syncTemplates(client, token: token)
            // 161 GSM characters: two segments at $0.0079 each.
            let long = String(repeating: "a", count: 161)
            let response = try await client.send(.post, Self.messages, token: token,
                                                 json: #"{"channel":"sms","to":"+14155550100","body":"\#(long)"}"#)
            #expect(response.status == .accepted)
            let accepted = try #require(try ParsedEnvelope(response).dataObject)
            #expect(accepted["status"] as? String == "queued" && accepted["segments"] as? Int == 2 && accepted["priceUsd"] as? String == MicroUSD(15_800).usdString)
            let id = try #require(accepted["id"] as? String)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.reserved == MicroUSD(15_800))
            let whatsapp = try await client.send(.post, Self.messages, token: token, json: """
                {"channel":"whatsapp","to":"+14155550101","templateId":"\(try #require(ids["order_shipped"]))","variables":{"1":"Ann","2":"A-17"}}
                """)
            #expect(whatsapp.status == .accepted)

            let relay = try await client.send(.post, "/cpaas/v1/_internal/process-outbox", internalKey: TestKeys.internalKey)
            let report = try #require(try ParsedEnvelope(relay).dataObject)
            #expect(report["sent"] as? Int == 2 && report["remaining"] as? Int == 0)
            let message = try #require(try ParsedEnvelope(try await client.get("\(Self.messages)/\(id)", token: token)).dataObject)
            #expect(message["status"] as? String == "delivered")
            let history = (message["history"] as? [[String: Any]])?.compactMap { $0["status"] as? String }
            #expect(history == ["queued", "sending", "sent", "delivered"])
            let balance = try #require(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)))
            #expect(balance.balance == MicroUSD(usd: 1) - MicroUSD(15_800 + 5_000) && balance.reserved == MicroUSD(0))

            let page = try ParsedEnvelope(try await client.get("\(Self.messages)?limit=1&status=delivered", token: token))
            #expect(page.dataArray?.count == 1 && page.page?["has_more"] as? Bool == true)
            #expect(try await client.get("\(Self.messages)/\(id)", token: other).status == .notFound)
            #expect(try ParsedEnvelope(try await client.get(Self.messages, token: other)).dataArray?.isEmpty == true)

            let providers = try #require(try ParsedEnvelope(try await client.get("/cpaas/v1/providers", token: token)).dataArray)
            #expect(providers.first?["id"] as? String == "simulated" && providers.first?["state"] as? String == "healthy")
            #expect((providers.first?["channels"] as? [String]) == ["email", "sms", "whatsapp"])
        }
    }

    @Test("Idempotency-Key: the same key gives the same message and holds nothing more; a poor wallet is 402")
    func idempotencyAndCredit() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            let poor = try await client.send(.post, Self.messages, token: token, json: #"{"channel":"sms","to":"+14155550100","body":"hi"}"#)
            #expect(poor.status.code == 402)
            #expect(try ParsedEnvelope(poor).errorCode == "insufficient_credits")
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let key: HTTPFields = [.init("Idempotency-Key")!: "m-1"]
            let first = try await client.send(.post, Self.messages, token: token, json: #"{"channel":"sms","to":"+14155550100","body":"hi"}"#,
                                              headers: key)
            let second = try await client.send(.post, Self.messages, token: token, json: #"{"channel":"sms","to":"+14155550100","body":"hi"}"#,
                                               headers: key)
            #expect(second.headers[.init("Idempotency-Replayed")!] == "true")
            #expect(try ParsedEnvelope(first).dataObject?["id"] as? String == ParsedEnvelope(second).dataObject?["id"] as? String)
            #expect(try ParsedEnvelope(try await client.get(Self.messages, token: token)).dataArray?.count == 1)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.reserved == MicroUSD(7_900))
        }
    }

    @Test("the default template sync fires on its cron with the test clock, once per fire time")
    func scheduledSync() async throws {
        let harness = try await Harness.make()
        try await JobCatalog.saveMissingSchedules(harness.runtime.scheduler)
        let schedule = try #require(try await harness.runtime.scheduler.schedule(named: TemplateSyncJob.kind))
        let firstFire = try #require(schedule.nextFireAt)
        try await harness.test { client in
            func syncJobs() async throws -> [JobRecord] {
                try await harness.runtime.jobs.jobs(tenant: "system", states: [], kind: TemplateSyncJob.kind, before: nil, limit: 10)
            }
            #expect(try await syncJobs().isEmpty)
            harness.clock.advance(to: firstFire.addingTimeInterval(1))
            for _ in 0..<2_000 where try await syncJobs().first?.state != .succeeded { try await Task.sleep(for: .milliseconds(5)) }
            #expect(try await syncJobs().count == 1)
            #expect(try await syncJobs().first?.state == .succeeded)
            harness.clock.advance(by: .seconds(60))  // the same fire time is not fired again
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await syncJobs().count == 1)
            harness.clock.advance(to: firstFire.addingTimeInterval(15 * 60 + 1))
            for _ in 0..<2_000 where try await syncJobs().count < 2 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(try await syncJobs().count == 2)
            let templates = try await client.send(.post, "/cpaas/v1/_internal/sync-templates", internalKey: TestKeys.internalKey)
            #expect(try ParsedEnvelope(templates).dataObject?["created"] as? Int == 0)  // the scheduled runs synced them already
        }
    }
}

@Suite("GET /cpaas/v1/providers")
struct ProvidersAPITests {
    @Test("each provider shows id, name, channel, state and its configured limits")
    func contractFields() async throws {
        let configuration = MessagingConfiguration(routes: MessagingConfiguration.development.routes,
                                                   prices: MessagingConfiguration.development.prices, requestsPerMinute: ["simulated": 120])
        let harness = try await Harness.make(messaging: { MessagingHub(configuration: configuration, providers: [SimulatedMessagingProvider()], clock: $0) })
        let token = try await harness.token()
        try await harness.test { client in
            let providers = try #require(try ParsedEnvelope(try await client.get("/cpaas/v1/providers", token: token)).dataArray)
            let provider = try #require(providers.first)
            #expect(provider["id"] as? String == "simulated" && provider["name"] as? String == "Simulated")
            #expect(provider["channel"] as? String == "email" && provider["state"] as? String == "healthy")
            #expect((provider["limits"] as? [String: Any])?["requestsPerMinute"] as? Int == 120)
        }
    }

    @Test("a provider without limits shows requestsPerMinute null, not an empty object")
    func noLimits() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            let providers = try #require(try ParsedEnvelope(try await client.get("/cpaas/v1/providers", token: token)).dataArray)
            let limits = try #require(providers.first?["limits"] as? [String: Any])
            #expect(limits["requestsPerMinute"] is NSNull)
        }
    }
}
