import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import NIOCore
import HummingbirdTesting
import Runtime
import Testing

@Suite("Envelope, routing and request ids")
struct EnvelopeTests {
    @Test("success, error and list envelopes have the same four keys; meta carries ids and tenant")
    func shapes() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
            let success = try await client.get("/llm-orch/v1/wallets", token: token, headers: [
                .init("x-request-id")!: "req-123", .init("traceparent")!: "00-\(traceID)-00f067aa0ba902b7-01",
            ])
            let envelope = try ParsedEnvelope(success)
            #expect(envelope.hasEnvelopeShape)
            #expect(envelope.error == nil && envelope.page == nil && envelope.data != nil)
            #expect(envelope.meta?["request_id"] as? String == "req-123")
            #expect(envelope.meta?["trace_id"] as? String == traceID)
            #expect(envelope.meta?["tenant_id"] as? String == TestKeys.tenant)
            #expect(success.headers[.init("x-request-id")!] == "req-123")
            #expect(success.headers[.contentType]?.hasPrefix("application/json") == true)

            let list = try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs", token: token))
            #expect(list.hasEnvelopeShape)
            #expect(list.dataArray != nil)
            #expect(list.page?["limit"] as? Int == 20)
            #expect(list.page?["has_more"] as? Bool == false)
            #expect(list.page?.keys.contains("next_cursor") == true)

            let failure = try await client.get("/llm-orch/v1/jobs/0000000000000", token: token)
            let error = try ParsedEnvelope(failure)
            #expect(failure.status == .notFound)
            #expect(error.hasEnvelopeShape)
            #expect(error.data == nil && error.page == nil)
            #expect(error.errorCode == "not_found")
            #expect((error.error?["message"] as? String)?.isEmpty == false)
            #expect(error.meta?["tenant_id"] as? String == TestKeys.tenant)
        }
    }

    @Test("a request without an id gets a new UUID, echoed in the header and meta; a bad one is replaced")
    func generatedRequestID() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let response = try await client.get("/llm-orch/v1/health")
            let header = try #require(response.headers[.init("x-request-id")!])
            #expect(UUID(uuidString: header) != nil)
            #expect(try ParsedEnvelope(response).meta?["request_id"] as? String == header)
            let traceID = try #require(try ParsedEnvelope(response).meta?["trace_id"] as? String)
            #expect(traceID.count == 32)

            let bad = try await client.get("/llm-orch/v1/health", headers: [.init("x-request-id")!: String(repeating: "x", count: 500)])
            #expect(UUID(uuidString: bad.headers[.init("x-request-id")!] ?? "") != nil)
        }
    }

    @Test("unknown routes are 404 and wrong methods 405 with Allow, both in the envelope, before authentication")
    func routing() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            for path in ["/", "/nope", "/llm-orch/v1/nope", "/llm-orch/v2/health", "/cpaas/v1/messages-typo"] {
                let response = try await client.get(path)
                #expect(response.status == .notFound, "\(path)")
                #expect(try ParsedEnvelope(response).errorCode == "not_found", "\(path)")
            }
            let cases: [(HTTPRequest.Method, String, String)] = [
                (.delete, "/llm-orch/v1/wallets", "GET, HEAD, OPTIONS"), (.post, "/llm-orch/v1/health", "GET, HEAD, OPTIONS"),
                (.get, "/llm-orch/v1/_internal/wallets/credit", "POST, OPTIONS"), (.get, "/llm-orch/v1/jobs/abc/cancel", "POST, OPTIONS"),
                (.post, "/cpaas/v1/jobs/schedules/x", "PUT, DELETE, OPTIONS"), (.patch, "/llm-orch/v1/jobs", "GET, HEAD, OPTIONS"),
                (.trace, "/llm-orch/v1/health", "GET, HEAD, OPTIONS"), (.head, "/llm-orch/v1/inference/complete", "POST, OPTIONS"),
            ]
            for (method, path, allow) in cases {
                let response = try await client.send(method, path)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
                #expect(try ParsedEnvelope(response).errorCode == "method_not_allowed")
            }
        }
    }

    @Test("HEAD answers where GET does (same status and headers, no body, auth still checked); OPTIONS is 204 with Allow")
    func headAndOptions() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test(.live) { client in
            let get = try await client.get("/llm-orch/v1/health")
            let head = try await client.send(.head, "/llm-orch/v1/health")
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == get.headers[.contentType])
            #expect(try await client.send(.head, "/llm-orch/v1/wallets").status == .unauthorized)
            #expect(try await client.send(.head, "/llm-orch/v1/wallets", token: token).status == .ok)
            let options = try await client.send(.options, "/llm-orch/v1/inference/complete")
            #expect(options.status == .noContent)
            #expect(options.headers[.allow] == "POST, OPTIONS")
            #expect(try await client.send(.options, "/llm-orch/v1/wallets").headers[.allow] == "GET, HEAD, OPTIONS")
        }
    }

    @Test("/metrics counts requests by route template and status and shows queue depth and reservations")
    func metrics() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        _ = try await harness.runtime.enqueue(NewJob(kind: "noop", tenant: TestKeys.tenant, runAt: Date().addingTimeInterval(3_600)))
        try await harness.test { client in
            _ = try await client.get("/llm-orch/v1/wallets", token: token)
            _ = try await client.get("/llm-orch/v1/jobs/abc", token: token)
            let response = try await client.get("/metrics")
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text.contains(#"switchboard_http_requests_total{route="/llm-orch/v1/wallets",method="GET",status="200"} 1"#))
            #expect(text.contains(#"switchboard_http_requests_total{route="/llm-orch/v1/jobs/{id}",method="GET",status="404"} 1"#))
            #expect(text.contains("switchboard_http_request_duration_seconds_bucket"))
            #expect(text.contains(#"switchboard_queue_depth{state="scheduled"} 1"#))
            #expect(text.contains("switchboard_wallet_reservations_held 0"))
        }
    }
}

@Suite("JSON text")
struct JSONTextTests {
    @Test("strings with quotes, backslashes, control characters and non-ASCII round-trip through a JSON parser")
    func escaping() throws {
        let samples = ["plain", "", "quote \" and \\ backslash", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1f}\u{7f}", "é 🚀 中文", "</script>"]
        for sample in samples {
            var buffer = ByteBuffer(string: "[")
            JSONText.write(sample, to: &buffer)
            buffer.writeString("]")
            let parsed = try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String]
            #expect(parsed == [sample], "\(sample.debugDescription)")
        }
        var null = ByteBuffer()
        JSONText.write(nil, to: &null)
        #expect(String(buffer: null) == "null")
    }
}

@Suite("Request ids")
struct RequestIDTests {
    @Test("generated request ids are distinct version-4 UUIDs and trace ids 32 hex digits")
    func generated() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let words = RequestIDMiddleware.randomBytes()
            let id = RequestIDMiddleware.requestID(words.0, words.1)
            #expect(UUID(uuidString: id) != nil && Array(id)[14] == "4", "\(id)")
            let trace = RequestIDMiddleware.traceID(words.2, words.3)
            #expect(trace.count == 32 && TraceParent.traceID("00-\(trace)-00f067aa0ba902b7-01") == trace)
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }

    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"

    @Test("a traceparent is read by the W3C propagator's rules: version 00, lower hex, 55 characters, no zero ids", arguments: [
        ("00-\(trace)-00f067aa0ba902b7-01", trace), ("00-\(trace)-00f067aa0ba902b7-00", trace),
        ("01-\(trace)-00f067aa0ba902b7-01", nil), ("00-\(trace)-00f067aa0ba902b7-01-extra", nil),
        ("00-\(trace.uppercased())-00f067aa0ba902b7-01", nil), ("00-\(trace)-00F067AA0BA902B7-01", nil),
        ("00-\(trace)-0000000000000000-01", nil), ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", nil),
        ("00-\(trace)-00f067aa0ba902b7-1", nil), ("00-\(trace)-00f067aa0ba902bx-01", nil), ("", nil),
    ] as [(String, String?)])
    func parsed(header: String, expected: String?) {
        #expect(TraceParent.traceID(header) == expected, "\(header)")
    }
}
