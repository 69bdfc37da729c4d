import Runtime
import Tracing

extension LLMRouter {
    /// One provider call in a client span of its own (`llm <provider>`), a child of the job's or
    /// request's; the adapter's HTTP request runs inside it, so its `traceparent` names this span.
    func traced(_ target: RouteTarget, attempt: Int, _ body: () async throws(ProviderError) -> ProviderResponse)
        async throws(ProviderError) -> ProviderResponse {
        let span = startSpan("llm \(target.provider)", ofKind: .client)
        defer { span.end() }
        span.attributes["gen_ai.system"] = target.provider
        span.attributes["gen_ai.request.model"] = target.model
        span.attributes["switchboard.provider.attempt"] = attempt
        let result: Result<ProviderResponse, ProviderError> = await ServiceContext.withValue(span.context) {
            do throws(ProviderError) { return .success(try await body()) } catch { return .failure(error) }
        }
        switch result {
        case .success(let response):
            span.attributes["gen_ai.usage.input_tokens"] = response.usage.inputTokens
            span.attributes["gen_ai.usage.output_tokens"] = response.usage.outputTokens
            return response
        case .failure(let error):
            span.attributes["error.type"] = error.kind.metricName
            span.setStatus(SpanStatus(code: .error, message: error.message))
            throw error
        }
    }
}
