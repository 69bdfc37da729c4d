public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

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
        var model: String
        var messages: [ChatMessage]
        var max_tokens: Int
        var temperature: Double?
        var stream = false
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

    public func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        var call = HTTPClientRequest(url: baseURL + "/v1/chat/completions")
        call.method = .POST
        call.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { call.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        do {
            call.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(
                Body(model: request.model, messages: request.messages, max_tokens: request.maxTokens, temperature: request.temperature))))
        } catch {
            throw ProviderError(.invalidRequest, "the request could not be encoded: \(error)")
        }
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: ByteBuffer
        do {
            let response = try await client.execute(call, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                                                                               + timeout.components.attoseconds / 1_000_000_000))
            status = response.status
            headers = response.headers
            body = try await response.body.collect(upTo: 8 << 20)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw ProviderError(.timeout, "\(id) did not answer within \(timeout)")
        } catch {
            throw ProviderError(.unavailable, "\(id) could not be reached: \(error)")
        }
        guard status == .ok else { throw Self.failure(status: status, headers: headers, body: body, provider: id) }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView)), let choice = answer.choices.first else {
            throw ProviderError(.unavailable, "\(id) answered 200 with a body that is not a chat completion")
        }
        let usage = answer.usage.map { TokenUsage(inputTokens: $0.prompt_tokens, outputTokens: $0.completion_tokens) }
            ?? TokenUsage(inputTokens: TokenEstimate.inputTokens(request.messages), outputTokens: request.maxTokens)
        return ProviderResponse(text: choice.message.content ?? "", finishReason: choice.finish_reason ?? "stop", usage: usage)
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

    /// `retry-after-ms` (OpenAI), else `Retry-After` in seconds.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        if let ms = headers.first(name: "retry-after-ms").flatMap(Double.init), ms >= 0 { return .milliseconds(ms) }
        if let seconds = headers.first(name: "retry-after").flatMap(Double.init), seconds >= 0 { return .seconds(seconds) }
        return nil
    }
}
