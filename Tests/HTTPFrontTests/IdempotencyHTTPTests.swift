import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Runtime
import Testing

@Suite("Idempotency-Key over HTTP")
struct IdempotencyHTTPTests {
    @Test("a replay returns the stored answer with Idempotency-Replayed and credits once; another body is 422")
    func replayAndMismatch() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let first = try await client.credit(tenant: TestKeys.tenant, amount: "5.00", key: "topup-1")
            #expect(first.status == .ok)
            #expect(first.headers[.init("Idempotency-Replayed")!] == nil)
            let replay = try await client.credit(tenant: TestKeys.tenant, amount: "5.00", key: "topup-1")
            #expect(replay.status == .ok)
            #expect(replay.headers[.init("Idempotency-Replayed")!] == "true")
            #expect(String(buffer: replay.body) == String(buffer: first.body))
            let mismatch = try await client.credit(tenant: TestKeys.tenant, amount: "6.00", key: "topup-1")
            #expect(mismatch.status == .unprocessableContent)
            #expect(try ParsedEnvelope(mismatch).errorCode == "idempotency_mismatch")
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.balance == MicroUSD(usd: 5))

            let other = try await client.credit(tenant: TestKeys.tenant, amount: "5.00", key: "topup-2")
            #expect(other.status == .ok)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.balance == MicroUSD(usd: 10))
        }
    }

    @Test("a key whose first request is still running is 409 and runs nothing")
    func inFlight() async throws {
        let harness = try await Harness.make()
        let body = #"{"tenantId":"\#(TestKeys.tenant)","wallet":"team","amountUsd":"5.00"}"#
        // The first request holds the key (begun, not completed), as if it were still running.
        var request = Request(head: HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/llm-orch/v1/_internal/wallets/credit",
                                                headerFields: [.contentType: "application/json"]),
                              body: .init(buffer: ByteBuffer(string: body)))
        request.body = .init(buffer: ByteBuffer(string: body))
        let fingerprint = try IdempotencyScope.fingerprint(request, body: ByteBuffer(string: body))
        #expect(try await harness.runtime.idempotency.begin(tenant: IdempotencyScope.internalTenant, key: "busy",
                                                            fingerprint: fingerprint) == .proceed)
        try await harness.test { client in
            let response = try await client.credit(tenant: TestKeys.tenant, amount: "5.00", key: "busy")
            #expect(response.status == .conflict)
            #expect(try ParsedEnvelope(response).errorCode == "idempotency_conflict")
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)) == nil)
        }
    }

    @Test("a failed request is not stored: the same key may be retried with a corrected body")
    func failuresAreNotStored() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let bad = try await client.credit(tenant: TestKeys.tenant, amount: "-5", key: "fix-me")
            #expect(bad.status == .badRequest)
            let fixed = try await client.credit(tenant: TestKeys.tenant, amount: "5", key: "fix-me")
            #expect(fixed.status == .ok)
            #expect(fixed.headers[.init("Idempotency-Replayed")!] == nil)
        }
    }

    @Test("a key longer than 255 characters, or with control characters, is 400")
    func badKeys() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            for key in [String(repeating: "k", count: 256), "tab\there"] {
                let response = try await client.credit(tenant: TestKeys.tenant, amount: "1", key: key)
                #expect(response.status == .badRequest)
                #expect(try ParsedEnvelope(response).errorField == "Idempotency-Key")
            }
            #expect(try await client.credit(tenant: TestKeys.tenant, amount: "1", key: String(repeating: "k", count: 255)).status == .ok)
        }
    }

    @Test("the key is the credit's ledger reference: a retry after a lost answer still credits once")
    func creditReferenceSurvivesALostAnswer() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            #expect(try await client.credit(tenant: TestKeys.tenant, amount: "3.00", key: "lost").status == .ok)
            // The process died after the credit committed but before the answer was stored:
            // the stored answer is gone, so the retry runs the handler again.
            _ = try await harness.runtime.idempotency.purgeExpired(now: Date().addingTimeInterval(2 * 86_400))
            let retry = try await client.credit(tenant: TestKeys.tenant, amount: "3.00", key: "lost")
            #expect(retry.status == .ok)
            #expect(try ParsedEnvelope(retry).dataObject?["applied"] as? Bool == false)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.balance == MicroUSD(usd: 3))
        }
    }
}
