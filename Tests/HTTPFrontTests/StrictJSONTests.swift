import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Runtime
import Testing

@Suite("Request bodies: duplicate keys, unknown keys, nulls and numbers out of range are 400 naming the field")
struct StrictJSONTests {
    static let complete = "/llm-orch/v1/inference/complete"

    @Test("a completion body refused before anything runs",
          arguments: [
            (#"{"prompt":"hi","maxTokens":1e400}"#, "maxTokens"),
            (#"{"prompt":"hi","maxTokens":-1e400}"#, "maxTokens"),
            (#"{"prompt":"hi","maxTokens":5,"maxTokens":999999999999}"#, "maxTokens"),
            (#"{"prompt":"hi","maxTokens":5,"max\u0054okens":6}"#, "maxTokens"),
            (#"{"prompt":"hi","maxTokens":5,"max_tokens":5}"#, "max_tokens"),
            (#"{"prompt":"hi","maxTokens":5,"stream":null}"#, "stream"),
            (#"{"messages":[{"role":"user","content":"a","content":"b"}],"maxTokens":5}"#, "messages[0].content"),
            (#"{"prompt":"hi","maxTokens":5,"temperature":1e999}"#, "temperature"),
          ])
    func completionBodies(body: String, field: String) async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let response = try await client.send(.post, Self.complete, token: token, json: body)
            #expect(response.status == .badRequest)
            let envelope = try ParsedEnvelope(response)
            #expect(envelope.errorCode == "invalid_request")
            #expect(envelope.errorField == field)
            #expect(try await harness.runtime.jobs.jobs(tenant: TestKeys.tenant, states: [], kind: nil, before: nil, limit: 10).isEmpty)
        }
    }

    @Test("a message with send_at for sendAt is refused, not sent now; nulls for its optional fields are taken")
    func messageKeys() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let typo = try await client.send(.post, "/cpaas/v1/messages", token: token,
                                             json: #"{"channel":"sms","to":"+14155550100","body":"hi","send_at":"2030-01-01T00:00:00Z"}"#)
            #expect(typo.status == .badRequest)
            #expect(try ParsedEnvelope(typo).errorField == "send_at")
            let nulls = try await client.send(.post, "/cpaas/v1/messages", token: token,
                                              json: #"{"channel":"sms","to":"+14155550100","body":"hi","subject":null,"sendAt":null}"#)
            #expect(nulls.status == .accepted)
        }
    }

    @Test("a batch item with an unknown or repeated key names its line")
    func batchItems() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let ndjson = "{\"customId\":\"a\",\"prompt\":\"hi\",\"maxTokens\":5}\n{\"customID\":\"b\",\"prompt\":\"hi\",\"maxTokens\":5}\n"
            let line = try await client.send(.post, "/llm-orch/v1/inference/batches", token: token, json: ndjson,
                                             headers: [.contentType: "application/x-ndjson"])
            #expect(line.status == .badRequest)
            #expect(try ParsedEnvelope(line).error?["details"] as? [String: String] == ["line": "2", "field": "customID"])
            let json = #"{"items":[{"customId":"a","prompt":"hi","maxTokens":5},{"customId":"b","customId":"c","prompt":"hi","maxTokens":5}]}"#
            let item = try await client.send(.post, "/llm-orch/v1/inference/batches", token: token, json: json)
            #expect(item.status == .badRequest)
            #expect(try ParsedEnvelope(item).error?["details"] as? [String: String] == ["line": "2", "field": "customId"])
        }
    }

    @Test("valid JSON of every shape passes the scan; free-form objects take any key")
    func validBodiesPass() throws {
        let schema = BodySchema(fields: ["": .init(keys: ["a", "c", "s"], nullable: ["c"])])
        try JSONScan.check(Data(#" { "a" : [1, -2.5e3, true, false, null, {"b": "x\"y"}, [[]]], "c": null, "s": "\u00e9\\" } "#.utf8), schema: schema)
        try JSONScan.check(Data(#"{"a":{"any":1,"keys":2}}"#.utf8), schema: schema)
        try JSONScan.check(Data("[1,2,{\"k\":1}]".utf8))
        // Not JSON: left to the decoder, which says so.
        try JSONScan.check(Data("{\"a\":".utf8), schema: schema)
        #expect(throws: APIError.self) { try JSONScan.check(Data(#"{"a":1,"b":2}"#.utf8), schema: schema) }
        #expect(throws: APIError.self) { try JSONScan.check(Data(#"{"a":[{"x":1,"x":1}]}"#.utf8), schema: schema) }
    }
}
