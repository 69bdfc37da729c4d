import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One load client's calls against a running server, as real clients make them: each
/// operation of the mix for a tenant, its latency and status recorded, what the server
/// acknowledged remembered for the invariant check, broken promises (a 2xx where a refusal
/// was due, a replay that answered differently) recorded as violations.
struct LoadClient: Sendable {
    let http: HTTPClient
    let url: String
    /// Bearer tokens by tenant.
    let tokens: [String: String]
    let stats: LoadStats

    struct Answer {
        var status: UInt
        var headers: HTTPHeaders
        var body: ByteBuffer
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
        }
        var data: [String: Any]? { json?["data"] as? [String: Any] }
    }

    func run(_ operation: LoadMix.Operation, tenant: String, sequence: Int) async {
        let token = tokens[tenant] ?? ""
        switch operation {
        case .complete:
            if let answer = await call("complete", .POST, "/llm-orch/v1/inference/complete", token: token,
                                       json: #"{"prompt":"load test \#(sequence): say something","maxTokens":16}"#),
               answer.status == 200, let id = answer.data?["id"] as? String {
                stats.acknowledge { $0.jobs[id] = tenant }
            }
        case .stream:
            // Acknowledged as soon as the 200 and its job id arrive, even if the stream is cut later.
            _ = await call("stream", .POST, "/llm-orch/v1/inference/complete", token: token,
                           json: #"{"prompt":"load test \#(sequence): stream","maxTokens":16,"stream":true}"#) { status, headers in
                if status == 200, let id = headers.first(name: "x-job-id") { stats.acknowledge { $0.jobs[id] = tenant } }
            }
        case .batch:
            let lines = (1...10).map { #"{"customId":"c\#($0)","prompt":"batch \#(sequence) item \#($0)","maxTokens":8}"# }
            if let answer = await call("batch", .POST, "/llm-orch/v1/inference/batches", token: token, json: lines.joined(separator: "\n"),
                                       contentType: "application/x-ndjson"),
               answer.status == 202, let id = answer.data?["id"] as? String {
                stats.acknowledge { $0.batches[id] = tenant }
            }
        case .message:
            if let answer = await call("message", .POST, "/cpaas/v1/messages", token: token,
                                       json: #"{"channel":"sms","to":"\#(Self.number(sequence))","body":"load \#(sequence)"}"#),
               answer.status == 202, let id = answer.data?["id"] as? String {
                stats.acknowledge { $0.messages[id] = tenant }
            }
        case .retry:
            await idempotentRetry(tenant: tenant, token: token, sequence: sequence)
        case .overbudget:
            if let answer = await call("overbudget", .POST, "/llm-orch/v1/inference/complete", token: token,
                                       json: #"{"prompt":"too dear","maxTokens":4000,"useCase":"chat"}"#,
                                       headers: [("x-budget-max-usd", "0.000001")]),
               answer.status != 402 || (answer.json?["error"] as? [String: Any])?["code"] as? String != "budget_exceeded",
               answer.status < 500, answer.status != 429 {
                stats.acknowledge { $0.violations.append("a completion over its budget was answered \(answer.status), not 402 budget_exceeded") }
            }
        case .read:
            let paths = ["/llm-orch/v1/jobs?limit=5", "/llm-orch/v1/wallets", "/cpaas/v1/messages?limit=5"]
            _ = await call("read", .GET, paths[sequence % paths.count], token: token)
        }
    }

    /// A message sent with a key, then resent with the key: the same message and
    /// `Idempotency-Replayed: true`; every fifth also resent with another body: 422.
    private func idempotentRetry(tenant: String, token: String, sequence: Int) async {
        let key = "load-\(UUID().uuidString)"
        let body = #"{"channel":"sms","to":"\#(Self.number(sequence))","body":"retry \#(sequence)"}"#
        guard let first = await call("retry", .POST, "/cpaas/v1/messages", token: token, json: body, headers: [("Idempotency-Key", key)]),
              first.status == 202, let id = first.data?["id"] as? String else { return }
        stats.acknowledge { $0.messages[id] = tenant }
        if let again = await call("retry", .POST, "/cpaas/v1/messages", token: token, json: body, headers: [("Idempotency-Key", key)]),
           (200..<300).contains(again.status) {
            let replayedID = again.data?["id"] as? String
            if replayedID != id || again.headers.first(name: "Idempotency-Replayed") != "true" {
                stats.acknowledge { $0.replayMismatches.append("key \(key): first \(id), replay \(replayedID ?? "none")") }
            }
        }
        if sequence % 5 == 0,
           let changed = await call("retry", .POST, "/cpaas/v1/messages", token: token, json: body.replacingOccurrences(of: "retry", with: "changed"),
                                    headers: [("Idempotency-Key", key)]),
           (200..<300).contains(changed.status) {
            stats.acknowledge { $0.violations.append("key \(key) with another body was answered \(changed.status), not 422") }
        }
    }

    static func number(_ sequence: Int) -> String { "+1415" + String(format: "%07d", sequence % 10_000_000) }

    /// Makes the call and records it; nil when no answer came (refused, reset, timed out).
    func call(_ operation: String, _ method: HTTPMethod, _ path: String, token: String, json: String? = nil,
              contentType: String = "application/json", headers: [(String, String)] = [],
              onHead: (UInt, HTTPHeaders) -> Void = { _, _ in }) async -> Answer? {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: json))
        }
        let start = ContinuousClock.now
        do {
            let response = try await http.execute(request, timeout: .seconds(90))
            onHead(response.status.code, response.headers)
            let body = try await response.body.collect(upTo: 8 << 20)
            stats.record(operation, status: String(response.status.code), microseconds: Self.micros(since: start))
            return Answer(status: response.status.code, headers: response.headers, body: body)
        } catch {
            stats.record(operation, status: "transport", microseconds: Self.micros(since: start))
            return nil
        }
    }

    static func micros(since start: ContinuousClock.Instant) -> UInt64 {
        let elapsed = ContinuousClock.now - start
        return UInt64(max(0, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000))
    }
}
