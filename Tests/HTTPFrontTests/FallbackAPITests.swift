import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import Runtime
import Testing

@Suite("Channel fallback API")
struct FallbackAPITests {
    @Test("fallback is checked on POST /messages, each step's field named; an accepted one shows the chain as it is sent")
    func fallback() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let refused: [(String, String)] = [
                (#"{"channel":"whatsapp","to":"+14155550100","body":"x","fallback":[{"channel":"fax"}]}"#, "fallback[0].channel"),
                (#"{"channel":"whatsapp","to":"+14155550100","body":"x","fallback":[{"channel":"sms","priority":1}]}"#, "fallback[0].priority"),
                (#"{"channel":"whatsapp","to":"+14155550100","body":"x","fallback":[{"channel":"email"}]}"#, "fallback[0].to"),
                (#"{"channel":"whatsapp","to":"+14155550100","body":"x","fallback":[{"channel":"sms"}],"fallbackAfterSeconds":1}"#, "fallbackAfterSeconds"),
                (#"{"channel":"whatsapp","to":"+14155550100","body":"x","fallbackAfterSeconds":60}"#, "fallbackAfterSeconds"),
                (#"{"channel":"whatsapp","to":"+14155550100","body":"x","fallback":{"channel":"sms"}}"#, "fallback"),
            ]
            for (body, field) in refused {
                let response = try await client.send(.post, "/cpaas/v1/messages", token: token, json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(try ParsedEnvelope(response).errorField == field, "\(body): \(String(buffer: response.body))")
            }
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.reserved == .zero)
            let accepted = try await client.send(.post, "/cpaas/v1/messages", token: token, json: """
                {"channel":"whatsapp","to":"+14155550100","body":"x","fallback":[{"channel":"sms"}],"fallbackAfterSeconds":60}
                """)
            #expect(accepted.status == .accepted)
            let message = try #require(try ParsedEnvelope(accepted).dataObject)
            #expect(message["previousAttemptId"] is NSNull && message["nextAttemptId"] is NSNull)
        }
    }
}
