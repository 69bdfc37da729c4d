/// What one call to a model asks for.
public struct ProviderRequest: Sendable, Equatable {
    public var model: String
    public var messages: [ChatMessage]
    public var maxTokens: Int
    public var temperature: Double?

    public init(model: String, messages: [ChatMessage], maxTokens: Int, temperature: Double? = nil) {
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
    }
}

/// A model's answer.
public struct ProviderResponse: Sendable, Equatable {
    public var text: String
    /// `stop`, `length`, …, as the provider said.
    public var finishReason: String
    public var usage: TokenUsage

    public init(text: String, finishReason: String, usage: TokenUsage) {
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
    }
}

/// A model provider: OpenAI-compatible, Anthropic, or the simulated one. Adapters translate
/// their wire format's failures into `ProviderError` so the router can tell what to retry.
public protocol LLMProvider: Sendable {
    /// The name routes use (`openai`, `anthropic`, `simulated`).
    var id: String { get }
    func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse
    /// The answer as it is produced: text deltas, then `.finished` with the whole response and
    /// its usage. Fails with `ProviderError`. Providers that cannot stream answer in one delta.
    func stream(_ request: ProviderRequest) -> AsyncThrowingStream<CompletionChunk, any Error>
}

/// One piece of a streamed answer.
public enum CompletionChunk: Sendable, Equatable {
    case delta(String)
    /// The end: the whole text, finish reason and usage.
    case finished(ProviderResponse)
}

extension LLMProvider {
    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<CompletionChunk, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await complete(request)
                    continuation.yield(.delta(response.text))
                    continuation.yield(.finished(response))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Why a provider call failed, sorted by what the router may do about it.
public struct ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 429 from the provider: retry after the pause, or fall back.
        case rateLimited(retryAfter: Duration?)
        /// 5xx, overloaded, connection refused or reset: retry, then fall back.
        case unavailable
        /// No answer within the call's timeout: retry, then fall back.
        case timeout
        /// The account cannot pay (`insufficient_quota`): not retried here, but another provider may serve.
        case quotaExceeded
        /// The request itself is wrong for this provider (4xx): neither retried nor sent elsewhere.
        case invalidRequest
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Worth another try on the same provider.
    public var isRetryable: Bool {
        switch kind {
        case .rateLimited, .unavailable, .timeout: true
        case .quotaExceeded, .invalidRequest: false
        }
    }

    /// Worth trying the next provider of the route.
    public var allowsFallback: Bool { kind != .invalidRequest }

    public var description: String { "\(kind): \(message)" }
}
