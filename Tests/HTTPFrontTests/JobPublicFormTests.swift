import Foundation
@testable import HTTPFront
import HummingbirdTesting
import Runtime
import Testing

@Suite("Jobs in the public form")
struct JobPublicFormTests {
    @Test("a completion's job shows its deadline as ISO 8601 and its money as USD strings, and stores the deadline as ISO 8601")
    func completionJob() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let answer = try ParsedEnvelope(try await client.send(.post, "/llm-orch/v1/inference/complete", token: token,
                                                                   json: #"{"prompt":"hello","maxTokens":10}"#))
            let id = try #require(answer.dataObject?["id"] as? String)
            let job = try #require(try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs/\(id)", token: token)).dataObject)
            let payload = try #require(job["payload"] as? [String: Any])
            let result = try #require(job["result"] as? [String: Any])
            let deadline = try #require(payload["deadline"] as? String)
            #expect(JobJSON.date(deadline) != nil, "deadline \(deadline) is not ISO 8601")
            #expect(payload["worstCaseMicroUSD"] == nil && result["costMicroUSD"] == nil && result["walletBalanceMicroUSD"] == nil)
            let worstCase = try #require(payload["worstCaseUsd"] as? String)
            #expect((try? MicroUSD(parsingUSD: worstCase)) != nil)
            #expect(result["costUsd"] as? String == answer.dataObject?["costUsd"] as? String)
            #expect(result["walletBalanceUsd"] as? String == (answer.dataObject?["wallet"] as? [String: Any])?["balanceUsd"] as? String)

            let jobID = try #require(JobID(id))
            let stored = try #require(try await harness.runtime.job(jobID, tenant: TestKeys.tenant))
            let storedPayload = try #require(try JSONSerialization.jsonObject(with: stored.payload) as? [String: Any])
            #expect(storedPayload["deadline"] is String, "the stored deadline is not ISO 8601 text")
        }
    }

    @Test("a row written by the previous version (deadline as seconds since 2001) is shown in the public form")
    func oldRow() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let old = Data(#"{"deadline":817894730.85,"worstCaseMicroUSD":1250,"nested":[{"costMicroUSD":2000000}]}"#.utf8)
        let job = try await harness.runtime.enqueue(NewJob(kind: "noop", tenant: TestKeys.tenant, payload: old,
                                                           runAt: Date().addingTimeInterval(3_600))).job
        try await harness.test { client in
            let shown = try #require(try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs/\(job.id)", token: token)).dataObject)
            let payload = try #require(shown["payload"] as? [String: Any])
            #expect(payload["deadline"] as? String == Date(timeIntervalSinceReferenceDate: 817894730.85).formatted(EnvelopeResponse.dateFormat))
            #expect(payload["worstCaseUsd"] as? String == "0.00125")
            #expect((payload["nested"] as? [[String: Any]])?.first?["costUsd"] as? String == "2.00")
        }
    }
}
