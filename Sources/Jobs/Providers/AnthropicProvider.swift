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

    public func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        let system = request.messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        let body = Body(model: request.model, max_tokens: request.maxTokens, system: system.isEmpty ? nil : system,
                        messages: request.messages.filter { $0.role != .system }.map { .init(role: $0.role.rawValue, content: $0.content) },
                        temperature: request.temperature.map { min($0, 1) })
        var call = HTTPClientRequest(url: baseURL + "/v1/messages")
        call.method = .POST
        call.headers.add(name: "Content-Type", value: "application/json")
        call.headers.add(name: "anthropic-version", value: Self.apiVersion)
        if let apiKey { call.headers.add(name: "x-api-key", value: apiKey) }
        do { call.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body))) } catch {
            throw ProviderError(.invalidRequest, "the request could not be encoded: \(error)")
        }
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let bytes: ByteBuffer
        do {
            let response = try await client.execute(call, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                                                                               + timeout.components.attoseconds / 1_000_000_000))
            status = response.status
            headers = response.headers
            bytes = try await response.body.collect(upTo: 8 << 20)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw ProviderError(.timeout, "\(id) did not answer within \(timeout)")
        } catch {
            throw ProviderError(.unavailable, "\(id) could not be reached: \(error)")
        }
        guard status == .ok else {
            let detail = (try? JSONDecoder().decode(ErrorAnswer.self, from: Data(bytes.readableBytesView)))?.error
            let message = "\(id) answered \(status.code): \(detail?.message ?? status.reasonPhrase)"
            switch (status.code, detail?.type) {
            case (429, _), (_, "rate_limit_error"):
                throw ProviderError(.rateLimited(retryAfter: OpenAICompatibleProvider.retryAfter(headers)), message)
            case (529, _), (_, "overloaded_error"), (500...599, _): throw ProviderError(.unavailable, message)
            case (408, _): throw ProviderError(.timeout, message)
            default: throw ProviderError(.invalidRequest, message)
            }
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(bytes.readableBytesView)) else {
            throw ProviderError(.unavailable, "\(id) answered 200 with a body that is not a message")
        }
        let text = answer.content.compactMap { $0.type == "text" ? $0.text : nil }.joined()
        let finish = switch answer.stop_reason {
        case "end_turn", "stop_sequence", nil: "stop"
        case "max_tokens": "length"
        case let other?: other
        }
        return ProviderResponse(text: text, finishReason: finish,
                                usage: TokenUsage(inputTokens: answer.usage.input_tokens, outputTokens: answer.usage.output_tokens))
    }
}
