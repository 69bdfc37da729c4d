import Foundation
public import Hummingbird
import HTTPTypes
public import Logging
import ServiceLifecycle
import Synchronization

/// A stand-in for model providers on loopback, so the real adapters are tested over real HTTP:
/// serves OpenAI's `POST /v1/chat/completions` and Anthropic's `POST /v1/messages`, plain or
/// streamed (`stream: true`). It answers after a
/// configurable latency, fails at configurable rates, and fails on purpose for models named
/// `fail-429`, `fail-503`, `fail-quota`, `fail-400` and `slow` (2 s). `GET /_mock/calls` says
/// how many completion calls it received, `GET /_mock/call-times` when each arrived by model,
/// `GET /_mock/traceparents` the `traceparent` each call carried. It also serves Twilio- and SendGrid-compatible messaging endpoints
/// (`MockProvider+Messaging.swift`).
public struct MockProvider: Sendable {
    public struct Configuration: Sendable {
        public var latency: Duration
        /// Share of calls answered 503 (0…1).
        public var errorRate: Double
        /// Share of calls answered 429 with `Retry-After: 1` (0…1).
        public var rateLimitRate: Double
        /// Output tokens of every answer (capped by `max_tokens`).
        public var outputTokens: Int
        /// The messaging endpoints' own settings (latency and the rates above apply to them too).
        public var messaging: MessagingConfiguration

        public init(latency: Duration = .zero, errorRate: Double = 0, rateLimitRate: Double = 0, outputTokens: Int = 16,
                    messaging: MessagingConfiguration = MessagingConfiguration()) {
            self.latency = latency
            self.errorRate = errorRate
            self.rateLimitRate = rateLimitRate
            self.outputTokens = outputTokens
            self.messaging = messaging
        }
    }

    public let configuration: Configuration
    private let calls = Calls()
    let ledger = MockMessagingLedger()
    let faults = MockFaults()
    private let traces = MockTraceLog()

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Completion calls received so far.
    public var callCount: Int { calls.count.load(ordering: .relaxed) }

    /// The `traceparent` headers of the calls received so far (all endpoints), oldest first.
    public var traceparents: [String] { traces.all }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: MockTraceMiddleware(log: traces))
        router.get("/_mock/traceparents") { _, _ in
            "[" + self.traceparents.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        }
        router.post("/v1/chat/completions") { request, context in try await self.chatCompletion(request, context: context) }
        router.post("/v1/messages") { request, context in try await self.anthropicMessage(request, context: context) }
        router.get("/_mock/calls") { _, _ in "{\"calls\":\(self.callCount)}" }
        // When each chat completion call arrived, by model: the load check finds the fleet within a model's RPM.
        router.get("/_mock/call-times") { _, _ in
            let times = self.calls.times.withLock { $0 }
            return String(decoding: try JSONSerialization.data(withJSONObject: times), as: UTF8.self)
        }
        router.post("/_mock/faults") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 4_096)
            guard let override = try? JSONDecoder().decode(MockFaults.Override.self, from: Data(buffer: body)) else {
                return Response(status: .badRequest)
            }
            self.faults.set(override)
            return Response(status: .noContent)
        }
        addMessagingRoutes(to: router)
        return router
    }

    /// The server as a service on `host:port` (0 picks one; `onRunning` gets it).
    public func application(host: String = "127.0.0.1", port: Int, logger: Logger,
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "mock-provider"),
                    onServerRunning: { await onRunning($0.localAddress?.port ?? 0) }, logger: logger)
    }

    private struct ChatRequest: Decodable {
        struct Message: Decodable {
            var role: String
            var content: String
        }

        struct StreamOptions: Decodable { var include_usage: Bool? }
        var model: String
        var messages: [Message]
        var max_tokens: Int?
        var stream: Bool?
        var stream_options: StreamOptions?
    }

    private func chatCompletion(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let number = calls.count.wrappingAdd(1, ordering: .relaxed).newValue
        let body = try await request.body.collect(upTo: 4 << 20)
        guard let chat = try? JSONDecoder().decode(ChatRequest.self, from: Data(buffer: body)) else {
            return Self.error(.badRequest, type: "invalid_request_error", code: nil, "the body is not a chat completion request")
        }
        calls.record(model: chat.model)
        let fault = faults.current(configuration)
        if fault.latency > .zero { try await Task.sleep(for: fault.latency) }
        let roll = Self.unit(number)
        switch chat.model {
        case "fail-429":
            return Self.error(.tooManyRequests, type: "requests", code: "rate_limit_exceeded", "slow down", retryAfter: "2")
        case "fail-quota":
            return Self.error(.tooManyRequests, type: "insufficient_quota", code: "insufficient_quota", "you exceeded your quota")
        case "fail-503":
            return Self.error(.serviceUnavailable, type: "server_error", code: nil, "overloaded")
        case "fail-400":
            return Self.error(.badRequest, type: "invalid_request_error", code: nil, "bad request for this model")
        case "slow":
            try await Task.sleep(for: .seconds(2))
        default:
            if roll < fault.rateLimitRate {
                return Self.error(.tooManyRequests, type: "requests", code: "rate_limit_exceeded", "slow down", retryAfter: "1")
            }
            if roll < fault.rateLimitRate + fault.errorRate {
                return Self.error(.serviceUnavailable, type: "server_error", code: nil, "simulated outage")
            }
        }
        let output = max(0, min(chat.max_tokens ?? configuration.outputTokens, configuration.outputTokens))
        let input = chat.messages.reduce(0) { $0 + ($1.content.utf8.count + 3) / 4 + 4 }
        if chat.stream == true {
            return Self.chatStream(id: number, model: chat.model, words: output, input: input,
                                   usage: chat.stream_options?.include_usage == true)
        }
        let text = Array(repeating: "mock", count: output).joined(separator: " ")
        let json = """
            {"id":"chatcmpl-\(number)","object":"chat.completion","model":"\(chat.model)",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"\(text)"},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":\(input),"completion_tokens":\(output),"total_tokens":\(input + output)}}
            """
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// OpenAI's streamed form: a chunk per word, the finish reason, the usage chunk when asked
    /// for (`stream_options.include_usage`), then `[DONE]`.
    private static func chatStream(id: Int, model: String, words: Int, input: Int, usage: Bool) -> Response {
        let body = ResponseBody { writer in
            func chunk(_ json: String) -> ByteBuffer { ByteBuffer(string: "data: \(json)\n\n") }
            let head = "{\"id\":\"chatcmpl-\(id)\",\"object\":\"chat.completion.chunk\",\"model\":\"\(model)\","
            for index in 0..<words {
                let content = index == 0 ? "mock" : " mock"
                try await writer.write(chunk(head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(content)\"},\"finish_reason\":null}]}"))
            }
            try await writer.write(chunk(head + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"))
            if usage {
                try await writer.write(chunk(head + "\"choices\":[],\"usage\":{\"prompt_tokens\":\(input),\"completion_tokens\":\(words),\"total_tokens\":\(input + words)}}"))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: body)
    }

    private struct MessagesRequest: Decodable {
        struct Message: Decodable {
            var role: String
            var content: String
        }

        var model: String
        var max_tokens: Int
        var system: String?
        var messages: [Message]
        var stream: Bool?
    }

    /// Anthropic's Messages API: the same faults by model name, with Anthropic's error shapes
    /// (`rate_limit_error` 429, `overloaded_error` 529).
    private func anthropicMessage(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let number = calls.count.wrappingAdd(1, ordering: .relaxed).newValue
        let body = try await request.body.collect(upTo: 4 << 20)
        func failure(_ status: Int, _ type: String, _ message: String, retryAfter: String? = nil) -> Response {
            var response = Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer:
                ByteBuffer(string: "{\"type\":\"error\",\"error\":{\"type\":\"\(type)\",\"message\":\"\(message)\"}}")))
            if let retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        }
        guard request.headers[HTTPField.Name("anthropic-version")!] != nil,
              let message = try? JSONDecoder().decode(MessagesRequest.self, from: Data(buffer: body)) else {
            return failure(400, "invalid_request_error", "not a Messages API request")
        }
        let fault = faults.current(configuration)
        if fault.latency > .zero { try await Task.sleep(for: fault.latency) }
        switch message.model {
        case "fail-429": return failure(429, "rate_limit_error", "slow down", retryAfter: "2")
        case "fail-503": return failure(529, "overloaded_error", "overloaded")
        case "fail-400": return failure(400, "invalid_request_error", "bad request for this model")
        case "slow": try await Task.sleep(for: .seconds(2))
        default:
            let roll = Self.unit(number)
            if roll < fault.rateLimitRate { return failure(429, "rate_limit_error", "slow down", retryAfter: "1") }
            if roll < fault.rateLimitRate + fault.errorRate { return failure(529, "overloaded_error", "simulated outage") }
        }
        let output = max(0, min(message.max_tokens, configuration.outputTokens))
        let input = (message.messages.map(\.content) + [message.system].compactMap { $0 }).reduce(0) { $0 + ($1.utf8.count + 3) / 4 + 4 }
        let stopReason = output < configuration.outputTokens ? "max_tokens" : "end_turn"
        if message.stream == true {
            return Self.messageStream(id: number, model: message.model, words: output, input: input, stopReason: stopReason)
        }
        let text = Array(repeating: "mock", count: output).joined(separator: " ")
        let json = """
            {"id":"msg_\(number)","type":"message","role":"assistant","model":"\(message.model)",\
            "content":[{"type":"text","text":"\(text)"}],"stop_reason":"\(stopReason)",\
            "usage":{"input_tokens":\(input),"output_tokens":\(output)}}
            """
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// Anthropic's streamed form: named events from `message_start` to `message_stop`.
    private static func messageStream(id: Int, model: String, words: Int, input: Int, stopReason: String) -> Response {
        let body = ResponseBody { writer in
            func event(_ name: String, _ json: String) -> ByteBuffer { ByteBuffer(string: "event: \(name)\ndata: \(json)\n\n") }
            try await writer.write(event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_\(id)\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"\(model)\",\"usage\":{\"input_tokens\":\(input),\"output_tokens\":1}}}"))
            try await writer.write(event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"))
            for index in 0..<words {
                let text = index == 0 ? "mock" : " mock"
                try await writer.write(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\(text)\"}}"))
            }
            try await writer.write(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"))
            try await writer.write(event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"\(stopReason)\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":\(words)}}"))
            try await writer.write(event("message_stop", "{\"type\":\"message_stop\"}"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: body)
    }

    private static func error(_ status: HTTPResponse.Status, type: String, code: String?, _ message: String,
                              retryAfter: String? = nil) -> Response {
        let codeJSON = code.map { "\"\($0)\"" } ?? "null"
        var response = Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(
            string: "{\"error\":{\"message\":\"\(message)\",\"type\":\"\(type)\",\"code\":\(codeJSON)}}")))
        if let retryAfter { response.headers[.retryAfter] = retryAfter }
        return response
    }

    /// A number in 0..<1 for the n-th call (SplitMix64): the same calls fail on every run.
    static func unit(_ n: Int) -> Double {
        var z = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}

private final class Calls: Sendable {
    let count = Atomic<Int>(0)
    /// When each chat completion call arrived (milliseconds since 1970), by model.
    let times = Mutex<[String: [Int64]]>([:])

    func record(model: String) {
        let now = Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down))
        times.withLock { $0[model, default: []].append(now) }
    }
}

extension MockProvider {
    /// Runs a mock on a free loopback port for the length of `body` (tests use this), then
    /// shuts it down gracefully.
    public static func withRunning<Value: Sendable>(
        _ configuration: Configuration = Configuration(),
        _ body: @Sendable (MockProvider, String) async throws -> Value
    ) async throws -> Value {
        let mock = MockProvider(configuration: configuration)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "mock-provider", factory: { _ in SwiftLogNoOpLogHandler() })
        let group = ServiceGroup(configuration: .init(
            services: [mock.application(port: 0, logger: logger, onRunning: { continuation.yield($0) })], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do {
                let value = try await body(mock, "http://127.0.0.1:\(port)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
