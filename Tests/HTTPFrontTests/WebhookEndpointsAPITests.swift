import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import Runtime
import Testing

@Suite("Tenant webhook endpoints API")
struct WebhookEndpointsAPITests {
    static let path = "/cpaas/v1/webhook-endpoints"

    @Test("create shows the secret once; list and deliveries are the tenant's own; bad input is a 4xx naming the field")
    func endpoints() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let other = try await harness.token(tenant: TestKeys.otherTenant)
        try await harness.test { client in
            let refused: [(body: String, status: HTTPResponse.Status, code: String, field: String)] = [
                (#"{"url":"http://10.0.0.7/hook","events":["message.*"]}"#, .unprocessableContent, "url_not_allowed", "url"),
                (#"{"url":"http://169.254.169.254/latest","events":["message.*"]}"#, .unprocessableContent, "url_not_allowed", "url"),
                (#"{"url":"ftp://127.0.0.1/","events":["message.*"]}"#, .unprocessableContent, "url_not_allowed", "url"),
                (#"{"url":"http://127.0.0.1:9/hook","events":["message.read"]}"#, .badRequest, "invalid_request", "events"),
                (#"{"url":"http://127.0.0.1:9/hook","events":[]}"#, .badRequest, "invalid_request", "events"),
                (#"{"url":"http://127.0.0.1:9/hook","events":"message.*"}"#, .badRequest, "invalid_request", "events"),
                (#"{"events":["message.*"]}"#, .badRequest, "invalid_request", "url"),
                (#"{"url":"http://127.0.0.1:9/hook","events":["*"],"secret":"mine"}"#, .badRequest, "invalid_request", "secret"),
            ]
            for item in refused {
                let response = try await client.send(.post, Self.path, token: token, json: item.body)
                #expect(response.status == item.status, "\(item.body)")
                let envelope = try ParsedEnvelope(response)
                #expect(envelope.errorCode == item.code && envelope.errorField == item.field, "\(item.body): \(String(buffer: response.body))")
            }
            let created = try await client.send(.post, Self.path, token: token,
                                                json: #"{"url":"http://127.0.0.1:9/hook","events":["message.*"],"description":"ops"}"#)
            #expect(created.status == .created)
            let endpoint = try #require(try ParsedEnvelope(created).dataObject)
            let id = try #require(endpoint["id"] as? String)
            #expect((endpoint["secret"] as? String)?.hasPrefix("whsec_") == true)
            let list = try #require(try ParsedEnvelope(try await client.get(Self.path, token: token)).dataArray)
            #expect(list.count == 1 && list[0]["id"] as? String == id && list[0]["secret"] == nil && list[0]["description"] as? String == "ops")
            #expect(try ParsedEnvelope(try await client.get(Self.path, token: other)).dataArray?.isEmpty == true)

            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            #expect(try await client.send(.post, "/cpaas/v1/messages", token: token,
                                          json: #"{"channel":"sms","to":"+14155550100","body":"hi"}"#).status == .accepted)
            let deliveries = try #require(try ParsedEnvelope(try await client.get("\(Self.path)/\(id)/deliveries", token: token)).dataArray)
            #expect(deliveries.first?["eventType"] as? String == "message.queued" && deliveries.first?["state"] as? String == "pending")
            #expect(try await client.get("\(Self.path)/\(id)/deliveries", token: other).status == .notFound)
            #expect(try await client.send(.delete, "\(Self.path)/\(id)", token: other).status == .notFound)
            #expect(try await client.send(.delete, "\(Self.path)/we_nope", token: token).status == .notFound)
            #expect(try await client.send(.delete, "\(Self.path)/\(id)", token: token).status == .ok)
            #expect(try ParsedEnvelope(try await client.get(Self.path, token: token)).dataArray?.isEmpty == true)
        }
    }
}
