public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Anthropic's Messages API over AsyncHTTPClient: `POST {baseURL}/v1/messages` with
/// `x-api-key` and `anthropic-version`. System messages go to the top-level `system` field.
/// `rate_limit_error` (429) carries `retry-after`; `overloaded_error` (529) and 5xx are
/// `unavailable`; other 4xx are the request's fault. `end_turn` reads as `stop`, `max_tokens`
/// as `length`, like OpenAI's finish reasons.
public struct AnthropicProvider: LLMProvider {
    public static let apiVersion = "2023-06-01"

    public let id: String
    let baseURL: String
    let apiKey: String?
    let timeout: Duration
    let client: HTTPClient

    public init(id: String = "anthropic", baseURL: String = "https://api.anthropic.com", apiKey: String? = nil,
                timeout: Duration = .seconds(60), client: HTTPClient = .shared) {
        self.id = id
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.timeout = timeout
        self.client = client
    }

    private struct Body: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
        }

        var model: String
        var max_tokens: Int
        var system: String?
        var messages: [Message]
        var temperature: Double?
        var stream: Bool?
    }

    /// The fields of the streamed events this adapter reads (`message_start`,
    /// `content_block_delta`, `message_delta`, `error`).
    private struct StreamEvent: Decodable {
        struct Message: Decodable { var usage: Answer.Usage? }
        struct Delta: Decodable {
            var type: String?
            var text: String?
            var stop_reason: String?
        }

        struct OutputUsage: Decodable { var output_tokens: Int? }
        var type: String
        var message: Message?
        var delta: Delta?
        var usage: OutputUsage?
        var error: ErrorAnswer.Detail?
    }

    private struct Answer: Decodable {
        struct Block: Decodable {
            var type: String
            var text: String?
        }

        struct Usage: Decodable {
            var input_tokens: Int
            var output_tokens: Int
        }

        var content: [Block]
        var stop_reason: String?
        var usage: Usage
    }

    private struct ErrorAnswer: Decodable {
        struct Detail: Decodable {
            var type: String
            var message: String?
        }

        var error: Detail
    }

    private func makeCall(_ request: ProviderRequest, stream: Bool) throws(ProviderError) -> HTTPClientRequest {
        let system = request.messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        let body = Body(model: request.model, max_tokens: request.maxTokens, system: system.isEmpty ? nil : system,
                        messages: request.messages.filter { $0.role != .system }.map { .init(role: $0.role.rawValue, content: $0.content) },
                        temperature: request.temperature.map { min($0, 1) }, stream: stream ? true : nil)
        var call = HTTPClientRequest(url: baseURL + "/v1/messages")
        call.method = .POST
        call.headers.add(name: "Content-Type", value: "application/json")
        call.headers.add(name: "anthropic-version", value: Self.apiVersion)
        if let apiKey { call.headers.add(name: "x-api-key", value: apiKey) }
        do { call.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body))) } catch {
            throw ProviderError(.invalidRequest, "the request could not be encoded: \(error)")
        }
        return call
    }

    private var transport: ProviderTransport { ProviderTransport(provider: id, client: client, timeout: timeout) }

    private func send(_ call: HTTPClientRequest) async throws(ProviderError) -> HTTPClientResponse {
        try await transport.send(call) { status, headers, body in
            let detail = (try? JSONDecoder().decode(ErrorAnswer.self, from: Data(body.readableBytesView)))?.error
            return failure(status: status.code, type: detail?.type, message: detail?.message ?? status.reasonPhrase, headers: headers)
        }
    }

    private func failure(status: UInt, type: String?, message: String, headers: HTTPHeaders) -> ProviderError {
        let message = "\(id) answered \(status): \(message)"
        switch (status, type) {
        case (429, _), (_, "rate_limit_error"): return ProviderError(.rateLimited(retryAfter: OpenAICompatibleProvider.retryAfter(headers)), message)
        case (529, _), (_, "overloaded_error"), (500...599, _): return ProviderError(.unavailable, message)
        case (408, _): return ProviderError(.timeout, message)
        default: return ProviderError(.invalidRequest, message)
        }
    }

    private static func finishReason(_ stopReason: String?) -> String {
        switch stopReason {
        case "end_turn", "stop_sequence", nil: "stop"
        case "max_tokens": "length"
        case let other?: other
        }
    }

    public func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        let response = try await send(try makeCall(request, stream: false))
        let bytes: ByteBuffer
        do { bytes = try await response.body.collect(upTo: 8 << 20) } catch { throw transport.transportError(error) }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(bytes.readableBytesView)) else {
            throw ProviderError(.unavailable, "\(id) answered 200 with a body that is not a message")
        }
        let text = answer.content.compactMap { $0.type == "text" ? $0.text : nil }.joined()
        return ProviderResponse(text: text, finishReason: Self.finishReason(answer.stop_reason),
                                usage: TokenUsage(inputTokens: answer.usage.input_tokens, outputTokens: answer.usage.output_tokens))
    }

    /// Named events: input tokens from `message_start`, text from `content_block_delta`, the stop
    /// reason and output tokens from `message_delta`; an `error` event (e.g. `overloaded_error`)
    /// fails the stream.
    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<CompletionChunk, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await send(try makeCall(request, stream: true))
                    var text = ""
                    var finish = "stop"
                    var input = TokenEstimate.inputTokens(request.messages)
                    var output: Int?
                    let decoder = JSONDecoder()
                    do {
                        for try await event in ServerSentEvents(body: response.body) {
                            guard let parsed = try? decoder.decode(StreamEvent.self, from: Data(event.data.utf8)) else { continue }
                            switch parsed.type {
                            case "message_start":
                                if let reported = parsed.message?.usage?.input_tokens { input = reported }
                            case "content_block_delta":
                                if let delta = parsed.delta?.text, !delta.isEmpty {
                                    text += delta
                                    continuation.yield(.delta(delta))
                                }
                            case "message_delta":
                                finish = Self.finishReason(parsed.delta?.stop_reason)
                                if let reported = parsed.usage?.output_tokens { output = reported }
                            case "error":
                                throw failure(status: 200, type: parsed.error?.type, message: parsed.error?.message ?? "stream error",
                                              headers: [:])
                            default:
                                continue
                            }
                        }
                    } catch let error as ProviderError {
                        throw error
                    } catch {
                        throw transport.transportError(error)
                    }
                    continuation.yield(.finished(ProviderResponse(text: text, finishReason: finish, usage: TokenUsage(
                        inputTokens: input, outputTokens: output ?? TokenEstimate.outputTokens(text)))))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
