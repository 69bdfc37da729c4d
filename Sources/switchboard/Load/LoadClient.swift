import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// One load client's calls against a running server, as real clients make them: each
/// operation of the mix for a tenant, its latency and status recorded, what the server
/// acknowledged remembered for the invariant check, broken promises (a 2xx where a refusal
/// was due, a replay that answered differently) recorded as violations.
struct LoadClient: Sendable {
    let http: HTTPClient
    /// The server's instances; each call goes to the next.
    let instances: RoundRobin
    /// The base URL of the instance the next call goes to.
    var url: String { instances.next() }
    /// Bearer tokens by tenant.
    let tokens: [String: String]
    let stats: LoadStats
    var retry = LoadRetry()

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
        case .keyedComplete:
            let key = "load-c-\(UUID().uuidString)"
            let prompt = "load keyed \(key): say something"
            var request = await keyed("keyed-complete", .completion, "/llm-orch/v1/inference/complete", tenant: tenant, token: token,
                                      key: key, marker: prompt, json: #"{"prompt":"\#(prompt)","maxTokens":16}"#)
            if let id = request.answeredID {
                stats.acknowledge { $0.jobs[id] = tenant }
                // Every fourth is sent once more after its answer: a replay of it.
                if sequence % 4 == 0 {
                    request.attempts += await tries("keyed-complete", "/llm-orch/v1/inference/complete", token: token, key: key,
                                                    json: #"{"prompt":"\#(prompt)","maxTokens":16}"#)
                }
            }
            let done = request
            stats.acknowledge { $0.keyed.append(done) }
        case .keyedMessage:
            let key = "load-m-\(UUID().uuidString)"
            let body = "load keyed \(key)"
            let request = await keyed("keyed-message", .message, "/cpaas/v1/messages", tenant: tenant, token: token, key: key, marker: body,
                                      json: #"{"channel":"sms","to":"\#(Self.number(sequence))","body":"\#(body)"}"#)
            if let id = request.answeredID { stats.acknowledge { $0.messages[id] = tenant } }
            stats.acknowledge { $0.keyed.append(request) }
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
        case .limited:
            if let answer = await call("limited", .POST, "/llm-orch/v1/inference/complete", token: token,
                                       json: #"{"prompt":"load limited \#(sequence)","maxTokens":8,"useCase":"limited"}"#),
               answer.status == 200, let id = answer.data?["id"] as? String {
                stats.acknowledge { $0.jobs[id] = tenant }
            }
        case .read:
            let paths = ["/llm-orch/v1/jobs?limit=5", "/llm-orch/v1/wallets", "/cpaas/v1/messages?limit=5"]
            _ = await call("read", .GET, paths[sequence % paths.count], token: token)
        }
    }

    /// A message sent with a key, then resent with the key (each send itself resent after a
    /// failure, as `keyed` does): the same message and `Idempotency-Replayed: true`
    /// (`KeyedRequest.violations`); every fifth also resent with another body: 422.
    private func idempotentRetry(tenant: String, token: String, sequence: Int) async {
        let key = "load-\(UUID().uuidString)"
        let text = "retry \(key)"
        let body = #"{"channel":"sms","to":"\#(Self.number(sequence))","body":"\#(text)"}"#
        var request = await keyed("retry", .message, "/cpaas/v1/messages", tenant: tenant, token: token, key: key, marker: text, json: body)
        guard let id = request.answeredID else {
            stats.acknowledge { [request] in $0.keyed.append(request) }
            return
        }
        stats.acknowledge { $0.messages[id] = tenant }
        request.attempts += await tries("retry", "/cpaas/v1/messages", token: token, key: key, json: body)
        stats.acknowledge { [request] in $0.keyed.append(request) }
        if sequence % 5 == 0,
           let changed = await call("retry", .POST, "/cpaas/v1/messages", token: token, json: body.replacingOccurrences(of: "retry", with: "changed"),
                                    headers: [("Idempotency-Key", key)]),
           (200..<300).contains(changed.status) {
            stats.acknowledge { $0.violations.append("key \(key) with another body was answered \(changed.status), not 422") }
        }
    }

    /// A keyed POST, resent with the same key and body while `LoadRetry` says so; every try
    /// recorded under `operation`.
    private func keyed(_ operation: String, _ kind: KeyedRequest.Kind, _ path: String, tenant: String, token: String, key: String,
                       marker: String, json: String) async -> KeyedRequest {
        KeyedRequest(kind: kind, tenant: tenant, key: key, marker: marker,
                     attempts: await tries(operation, path, token: token, key: key, json: json))
    }

    /// The tries of one keyed POST: until an answer that is not worth resending, or `retry.maxAttempts`.
    private func tries(_ operation: String, _ path: String, token: String, key: String, json: String) async -> [KeyedAttempt] {
        var attempts: [KeyedAttempt] = []
        while true {
            let answer = await call(operation, .POST, path, token: token, json: json, headers: [("Idempotency-Key", key)])
            attempts.append(KeyedAttempt(status: answer?.status, replayed: answer?.headers.first(name: "Idempotency-Replayed") == "true",
                                         id: answer?.data?["id"] as? String,
                                         code: (answer?.json?["error"] as? [String: Any])?["code"] as? String))
            guard LoadRetry.shouldRetry(answer?.status), attempts.count < retry.maxAttempts else { return attempts }
            try? await Task.sleep(for: retry.backoff(after: attempts.count))
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

/// Base URLs handed out in turn, one per call, from any task.
final class RoundRobin: Sendable {
    let urls: [String]
    private let counter = Mutex(0)

    init(_ urls: [String]) {
        precondition(!urls.isEmpty, "at least one URL")
        self.urls = urls
    }

    func next() -> String {
        urls[counter.withLock { count in
            defer { count &+= 1 }
            return count % urls.count
        }]
    }
}
