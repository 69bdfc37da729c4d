import Crypto
import Foundation
import HTTPTypes
@testable import HTTPFront
import HummingbirdTesting
import Jobs
import Runtime
import Testing

/// Records a response of every operation the served `/openapi.json` documents and checks each
/// against the document's own schema (required keys, types, enums, patterns, `$ref`s).
@Suite("OpenAPI conformance")
struct OpenAPIConformanceTests {
    /// One recorded answer: the operation as the document names it, and the parsed body.
    struct Recorded: Sendable {
        var method: String
        var path: String
        var status: Int
        var body: Data
    }

    @Test("every operation's recorded response matches the schema the served document gives it")
    func recordedResponsesMatch() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let key = TestKeys.internalKey
        let recorded: [Recorded] = try await harness.test { client in
            var recorded: [Recorded] = []
            func record(_ method: HTTPRequest.Method, _ template: String, _ uri: String? = nil, token: String? = nil,
                        internalKey: String? = nil, json: String? = nil) async throws -> [String: Any] {
                let response = try await client.send(method, uri ?? template, token: token, internalKey: internalKey, json: json)
                let data = Data(buffer: response.body)
                let body = try JSONSerialization.jsonObject(with: data)
                recorded.append(Recorded(method: method.rawValue, path: template, status: Int(response.status.code), body: data))
                return ((body as? [String: Any])?["data"] as? [String: Any]) ?? [:]
            }
            let document = try await client.get("/openapi.json")
            let served = String(buffer: document.body)
            #expect(served == String(buffer: OpenAPIDocument.bytes))

            _ = try await record(.get, "/llm-orch/v1/health")
            _ = try await record(.get, "/cpaas/v1/_internal/healthz")
            _ = try await record(.post, "/llm-orch/v1/_internal/wallets/credit", internalKey: key,
                                 json: #"{"tenantId":"\#(TestKeys.tenant)","wallet":"team","amountUsd":"5.00"}"#)
            let schedule = "/cpaas/v1/jobs/schedules/{name}"
            _ = try await record(.put, schedule, "/cpaas/v1/jobs/schedules/report", internalKey: key,
                                 json: #"{"cron":"*/5 * * * *","timezone":"UTC","kind":"noop","payload":{},"tenant":"\#(TestKeys.tenant)"}"#)
            _ = try await record(.get, "/cpaas/v1/jobs/schedules", internalKey: key)
            _ = try await record(.post, schedule + "/run", "/cpaas/v1/jobs/schedules/report/run", internalKey: key)
            _ = try await record(.delete, schedule, "/cpaas/v1/jobs/schedules/report", internalKey: key)

            let completion = try await record(.post, "/llm-orch/v1/inference/complete", token: token, json: #"{"prompt":"hello","maxTokens":10}"#)
            let jobID = try #require(completion["id"] as? String)
            _ = try await record(.get, "/llm-orch/v1/jobs", token: token)
            _ = try await record(.get, "/llm-orch/v1/jobs/{id}", "/llm-orch/v1/jobs/\(jobID)", token: token)
            let waiting = try await harness.runtime.enqueue(NewJob(kind: "noop", tenant: TestKeys.tenant, runAt: Date().addingTimeInterval(3_600))).job
            _ = try await record(.post, "/llm-orch/v1/jobs/{id}/cancel", "/llm-orch/v1/jobs/\(waiting.id)/cancel", token: token)
            let wallets = try ParsedEnvelope(try await client.get("/llm-orch/v1/wallets", token: token))
            _ = try await record(.get, "/llm-orch/v1/wallets", token: token)
            let walletID = try #require(wallets.dataArray?.first?["id"] as? String)
            _ = try await record(.get, "/llm-orch/v1/wallets/{id}/ledger", "/llm-orch/v1/wallets/\(walletID)/ledger", token: token)

            let batches = "/llm-orch/v1/inference/batches"
            let batch = try await record(.post, batches, token: token, json: #"{"items":[\#(BatchTests.items(3))]}"#)
            let batchID = try #require(batch["id"] as? String)
            try await BatchTests.waitUntil(harness, "the batch completed") { try await BatchTests.status(client, batchID, token: token) == "completed" }
            _ = try await record(.get, batches, token: token)
            _ = try await record(.get, batches + "/{id}", "\(batches)/\(batchID)", token: token)
            _ = try await record(.get, batches + "/{id}/results", "\(batches)/\(batchID)/results", token: token)
            let other = try await record(.post, batches, token: token, json: #"{"items":[\#(BatchTests.items(2))]}"#)
            _ = try await record(.post, batches + "/{id}/cancel", "\(batches)/\(try #require(other["id"] as? String))/cancel", token: token)

            _ = try await record(.get, "/cpaas/v1/providers", token: token)
            _ = try await record(.post, "/cpaas/v1/_internal/sync-templates", internalKey: key)
            _ = try await record(.get, "/cpaas/v1/templates", token: token)
            let message = try await record(.post, "/cpaas/v1/messages", token: token, json: #"{"channel":"sms","to":"+14155550100","body":"hi"}"#)
            _ = try await record(.post, "/cpaas/v1/_internal/process-outbox", internalKey: key)
            _ = try await record(.get, "/cpaas/v1/messages", token: token)
            _ = try await record(.get, "/cpaas/v1/messages/{id}", "/cpaas/v1/messages/\(try #require(message["id"] as? String))", token: token)

            let hooks = "/cpaas/v1/webhook-endpoints"
            let endpoint = try await record(.post, hooks, token: token, json: #"{"url":"http://127.0.0.1:9/hook","events":["message.*"]}"#)
            let endpointID = try #require(endpoint["id"] as? String)
            _ = try await record(.post, "/cpaas/v1/messages", token: token, json: #"{"channel":"sms","to":"+14155550101","body":"hi"}"#)
            _ = try await record(.get, hooks, token: token)
            _ = try await record(.get, hooks + "/{id}/deliveries", "\(hooks)/\(endpointID)/deliveries", token: token)
            _ = try await record(.delete, hooks + "/{id}", "\(hooks)/\(endpointID)", token: token)
            return recorded
        } + (try await Self.recordDeliveryOperations())

        let checker = try SchemaChecker(json: String(buffer: OpenAPIDocument.bytes))
        for answer in recorded {
            let body = try JSONSerialization.jsonObject(with: answer.body)
            #expect((200..<300).contains(answer.status), "\(answer.method) \(answer.path) answered \(answer.status): \(body)")
            guard let schema = checker.responseSchema(method: answer.method, path: answer.path, status: answer.status) else {
                Issue.record("\(answer.method) \(answer.path) \(answer.status) is not in the document")
                continue
            }
            let problems = checker.problems(body, schema)
            #expect(problems.isEmpty, "\(answer.method) \(answer.path): \(problems.joined(separator: "; "))")
        }
        let covered = Set(recorded.map { "\($0.method) \($0.path)" })
        let documented = Set(checker.operations.map { "\($0.method) \($0.path)" }).subtracting(["GET /openapi.json"])
        #expect(documented.subtracting(covered).isEmpty, "operations without a recorded response: \(documented.subtracting(covered).sorted())")
    }

    /// The signed provider webhooks and the suppression list, on a server with a Twilio account
    /// and a SendGrid verification key.
    static func recordDeliveryOperations() async throws -> [Recorded] {
        let key = P256.Signing.PrivateKey()
        let harness = try await Harness.make(messaging: { clock in
            MessagingHub(configuration: .development, providers: [
                SimulatedMessagingProvider(),
                TwilioProvider(accountSID: DeliveryWebhookTests.account, authToken: DeliveryWebhookTests.token, clock: clock),
                SendGridProvider(id: "sendgrid", apiKey: "k", eventWebhookPublicKey: key.publicKey.pemRepresentation, clock: clock),
            ], clock: clock)
        }, publicBaseURL: DeliveryWebhookTests.base)
        let token = try await harness.token()
        return try await harness.test { client in
            var recorded: [Recorded] = []
            func keep(_ method: String, _ path: String, _ response: TestResponse) {
                recorded.append(Recorded(method: method, path: path, status: Int(response.status.code), body: Data(buffer: response.body)))
            }
            keep("POST", DeliveryWebhookTests.path, try await DeliveryWebhookTests.callback(client, sid: "SM1", status: "delivered"))
            keep("POST", "/cpaas/v1/webhooks/twilio/inbound",
                 try await DeliveryWebhookTests.inbound(client, from: "+14155550100", to: "+15550000000", body: "STOP"))
            keep("POST", SendGridEventTests.path, try await SendGridEventTests.post(client, #"[{"event":"delivered","sg_event_id":"e1"}]"#,
                                                                                      timestamp: harness.clock.now(), key: key))
            keep("GET", "/cpaas/v1/suppressions", try await client.get("/cpaas/v1/suppressions", token: token))
            _ = try await harness.runtime.sqlite!.write { db in
                try db.run("""
                    INSERT INTO suppressions (tenant, channel, address, reason, created_at)
                    VALUES (\(TestKeys.tenant), 'sms', '+14155550100', 'test', 0)
                    """)
            }
            keep("DELETE", "/cpaas/v1/suppressions/{channel}/{address}",
                 try await client.send(.delete, "/cpaas/v1/suppressions/sms/%2B14155550100", token: token))
            return recorded
        }
    }

    @Test("the documented enums hold every ledger kind and the batch_finished code; money patterns accept the API's amounts")
    func enumsAndMoney() throws {
        let checker = try SchemaChecker(json: String(buffer: OpenAPIDocument.bytes))
        let kinds = checker.resolve("#/components/schemas/LedgerEntry/properties/kind")?["enum"] as? [String]
        #expect(Set(kinds ?? []) == Set(LedgerEntry.Kind.allCases.map(\.rawValue)))
        let codes = checker.resolve("#/components/schemas/ErrorCode")?["enum"] as? [String] ?? []
        #expect(codes.contains("batch_finished"))
        let batch = try #require(checker.resolve("#/components/schemas/Batch"))
        for amount in [MicroUSD(600_000), MicroUSD(125), MicroUSD(usd: 12)].map(\.usdString) {
            for field in ["costUsd", "reservedUsd"] {
                let schema = try #require((batch["properties"] as? [String: Any])?[field] as? [String: Any])
                #expect(checker.problems(amount, schema).isEmpty, "\(field) refuses \(amount)")
            }
        }
    }
}
