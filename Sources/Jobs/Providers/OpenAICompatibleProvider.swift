public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Runtime

/// An OpenAI-compatible chat-completions provider (OpenAI, vLLM, Ollama, llama.cpp server, …)
/// over AsyncHTTPClient: `POST {baseURL}/v1/chat/completions`. Failures map to `ProviderError`:
/// 429 `insufficient_quota` is the account's (not retried here), other 429s carry `Retry-After`
/// or `retry-after-ms`; 5xx, refused or reset connections are `unavailable`; no answer within
/// `timeout` is `timeout`; other 4xx are the request's fault.
public struct OpenAICompatibleProvider: LLMProvider {
    public let id: String
    let baseURL: String
    let apiKey: String?
    let timeout: Duration
    let client: HTTPClient

    public init(id: String = "openai", baseURL: String, apiKey: String? = nil, timeout: Duration = .seconds(30),
                client: HTTPClient = .shared) {
        self.id = id
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.timeout = timeout
        self.client = client
    }

    private struct Body: Encodable {
        struct StreamOptions: Encodable { var include_usage = true }
        var model: String
        var messages: [ChatMessage]
        var max_tokens: Int
        var temperature: Double?
        var stream = false
        var stream_options: StreamOptions?
    }

    private struct StreamChunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { var content: String? }
            var delta: Delta?
            var finish_reason: String?
        }

        var choices: [Choice]?
        var usage: Answer.Usage?
    }

    private struct Answer: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { var content: String? }
            var message: Message
            var finish_reason: String?
        }

        struct Usage: Decodable {
            var prompt_tokens: Int
            var completion_tokens: Int
        }

        var choices: [Choice]
        var usage: Usage?
    }

    private struct ErrorAnswer: Decodable {
        struct Detail: Decodable {
            var message: String?
            var type: String?
            var code: String?
        }

        var error: Detail
    }

    private func makeCall(_ request: ProviderRequest, stream: Bool) throws(ProviderError) -> HTTPClientRequest {
        var call = HTTPClientRequest(url: baseURL + "/v1/chat/completions")
        call.method = .POST
        call.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { call.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        do {
            call.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(
                Body(model: request.model, messages: request.messages, max_tokens: request.maxTokens, temperature: request.temperature,
                     stream: stream, stream_options: stream ? .init() : nil))))
        } catch {
            throw ProviderError(.invalidRequest, "the request could not be encoded: \(error)")
        }
        return call
    }

    private var transport: ProviderTransport { ProviderTransport(provider: id, client: client, timeout: timeout) }

    private func send(_ call: HTTPClientRequest) async throws(ProviderError) -> HTTPClientResponse {
        try await transport.send(call) { status, headers, body in Self.failure(status: status, headers: headers, body: body, provider: id) }
    }

    public func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        let response = try await send(try makeCall(request, stream: false))
        let body: ByteBuffer
        do { body = try await response.body.collect(upTo: 8 << 20) } catch { throw transport.transportError(error) }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView)), let choice = answer.choices.first else {
            throw ProviderError(.unavailable, "\(id) answered 200 with a body that is not a chat completion")
        }
        let usage = answer.usage.map { TokenUsage(inputTokens: $0.prompt_tokens, outputTokens: $0.completion_tokens) }
            ?? TokenUsage(inputTokens: TokenEstimate.inputTokens(request.messages), outputTokens: request.maxTokens)
        return ProviderResponse(text: choice.message.content ?? "", finishReason: choice.finish_reason ?? "stop", usage: usage)
    }

    /// `stream: true` with `stream_options.include_usage`: content deltas, then the usage chunk
    /// and `[DONE]`. Without a usage chunk the output is estimated from the text.
    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<CompletionChunk, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await send(try makeCall(request, stream: true))
                    var text = ""
                    var finish = "stop"
                    var usage: TokenUsage?
                    let decoder = JSONDecoder()
                    do {
                        for try await event in ServerSentEvents(body: response.body) {
                            if event.data == "[DONE]" { break }
                            guard let chunk = try? decoder.decode(StreamChunk.self, from: Data(event.data.utf8)) else { continue }
                            if let choice = chunk.choices?.first {
                                if let content = choice.delta?.content, !content.isEmpty {
                                    text += content
                                    continuation.yield(.delta(content))
                                }
                                if let reason = choice.finish_reason { finish = reason }
                            }
                            if let reported = chunk.usage {
                                usage = TokenUsage(inputTokens: reported.prompt_tokens, outputTokens: reported.completion_tokens)
                            }
                        }
                    } catch {
                        throw transport.transportError(error)
                    }
                    continuation.yield(.finished(ProviderResponse(text: text, finishReason: finish, usage: usage ?? TokenUsage(
                        inputTokens: TokenEstimate.inputTokens(request.messages), outputTokens: TokenEstimate.outputTokens(text)))))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func failure(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer, provider: String) -> ProviderError {
        let detail = (try? JSONDecoder().decode(ErrorAnswer.self, from: Data(body.readableBytesView)))?.error
        let message = "\(provider) answered \(status.code): \(detail?.message ?? status.reasonPhrase)"
        switch status.code {
        case 429:
            if detail?.code == "insufficient_quota" || detail?.type == "insufficient_quota" { return ProviderError(.quotaExceeded, message) }
            return ProviderError(.rateLimited(retryAfter: retryAfter(headers)), message)
        case 408: return ProviderError(.timeout, message)
        case 500...599: return ProviderError(.unavailable, message)
        default: return ProviderError(.invalidRequest, message)
        }
    }

    /// `retry-after-ms` (OpenAI) or `Retry-After` (seconds or a date), capped at an hour; a
    /// value that is not a sane number (`inf`, `1e21`) says nothing.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        ProviderBackoff.pause(fromHeaderFields: headers.filter { ["retry-after", "retry-after-ms"].contains($0.name.lowercased()) }
                                  .map { (name: $0.name, value: $0.value) }, now: Date())
    }
}
