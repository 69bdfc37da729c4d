public import Foundation
public import Runtime

/// Sends a completion to the first target of its route that answers: each call waits for its
/// provider's rate limiter (RPM and TPM, tokens estimated as input + `maxTokens`, corrected to
/// the provider's count after the answer) and passes its
/// breaker; retryable failures are retried with exponential backoff while the deadline allows,
/// then the next target is tried. A provider's 429 pauses its limiter for the time it asked.
/// Every call, failure, retry, fallback, limiter wait and breaker transition is counted in
/// `metrics` (see `ProviderMetrics`).
public final class LLMRouter: Sendable {
    public struct Retry: Sendable, Equatable {
        public var attemptsPerTarget: Int
        public var baseBackoff: Duration
        public var maxBackoff: Duration

        public init(attemptsPerTarget: Int = 2, baseBackoff: Duration = .milliseconds(200), maxBackoff: Duration = .seconds(2)) {
            self.attemptsPerTarget = max(1, attemptsPerTarget)
            self.baseBackoff = baseBackoff
            self.maxBackoff = maxBackoff
        }
    }

    /// The answer and where it came from.
    public struct Routed: Sendable, Equatable {
        public var target: RouteTarget
        public var response: ProviderResponse
        /// Calls made, the successful one included.
        public var attempts: Int
    }

    public let routing: LLMRouting
    private let providers: [String: any LLMProvider]
    private let limiter: RateLimiter
    private let breakers: [String: CircuitBreaker]
    private let clock: any WallClock
    private let retry: Retry
    private let metrics: ProviderMetrics

    public init(providers: [any LLMProvider], routing: LLMRouting, limiter: RateLimiter, clock: any WallClock,
                breaker: CircuitBreaker.Configuration = CircuitBreaker.Configuration(), retry: Retry = Retry(),
                metrics: ProviderMetrics = ProviderMetrics()) {
        self.providers = Dictionary(providers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.routing = routing
        self.limiter = limiter
        self.clock = clock
        self.retry = retry
        self.metrics = metrics
        breakers = Dictionary(providers.map { provider in
            (provider.id, CircuitBreaker(configuration: breaker, clock: clock, gauge: metrics.breakers.gauge(provider: provider.id)))
        }, uniquingKeysWith: { first, _ in first })
        metrics.prepare(routing.routes.values.joined())
    }

    /// A provider's breaker state (for `GET /providers` and tests).
    public func breakerState(_ provider: String) -> CircuitBreaker.State? { breakers[provider]?.state }

    public func complete(_ request: ProviderRequest, targets: [RouteTarget], deadline: Date) async throws(RoutingError) -> Routed {
        try await route(request, targets: targets, deadline: deadline) { provider, call throws(ProviderError) in
            try await provider.complete(call)
        }
    }

    /// Like `complete`, handing each text delta to `onDelta` as it arrives. Fallback happens only
    /// before the first delta; a stream that breaks after it ends with what was produced
    /// (finish reason `error`, output tokens estimated from the text), which is what is charged.
    public func stream(_ request: ProviderRequest, targets: [RouteTarget], deadline: Date,
                       onDelta: @escaping @Sendable (String) async -> Void) async throws(RoutingError) -> Routed {
        try await route(request, targets: targets, deadline: deadline) { provider, call throws(ProviderError) in
            var text = ""
            do {
                for try await chunk in provider.stream(call) {
                    switch chunk {
                    case .delta(let delta):
                        text += delta
                        await onDelta(delta)
                    case .finished(let response):
                        return response
                    }
                }
                if text.isEmpty { throw ProviderError(.unavailable, "\(provider.id)'s stream ended without an answer") }
            } catch {
                if text.isEmpty { throw (error as? ProviderError) ?? ProviderError(.unavailable, "\(provider.id): \(error)") }
            }
            return ProviderResponse(text: text, finishReason: "error", usage: TokenUsage(
                inputTokens: TokenEstimate.inputTokens(call.messages), outputTokens: TokenEstimate.outputTokens(text)))
        }
    }

    private func route(_ request: ProviderRequest, targets: [RouteTarget], deadline: Date,
                       call callProvider: (any LLMProvider, ProviderRequest) async throws(ProviderError) -> ProviderResponse)
        async throws(RoutingError) -> Routed {
        var calls = 0
        // Rate limits (ours or the provider's 429) alone make the answer 429 with the shortest wait.
        var shortestWait: Duration?
        var otherFailure = false
        var lastFailure = "no target could be tried"
        // The target tried last, which failed: moving on from it is a fallback.
        var previous: RouteTarget?
        for target in targets {
            guard let provider = providers[target.provider], let breaker = breakers[target.provider] else {
                lastFailure = "provider '\(target.provider)' is not configured"
                continue
            }
            if let previous { metrics.fellBack(from: previous, to: target) }
            previous = target
            var attempt = 0
            while attempt < retry.attemptsPerTarget {
                attempt += 1
                guard breaker.permit() else {
                    otherFailure = true
                    lastFailure = "\(target.provider)'s circuit breaker is open"
                    break
                }
                let permit = Permit(requests: 1, tokens: TokenEstimate.inputTokens(request.messages) + request.maxTokens)
                let asked = clock.now()
                do {
                    try await limiter.acquire(key: target.limiterKey, permit: permit, deadline: deadline)
                    metrics.limiter.waited(target.limiterKey, clock.elapsed(since: asked))
                } catch let error as RateLimitError {
                    metrics.limiter.refused(target.limiterKey)
                    breaker.releasePermit()  // not the provider's fault, nor a sign it is well
                    if let wait = error.retryAfter { shortestWait = min(shortestWait ?? wait, wait) }
                    lastFailure = error.description
                    break
                } catch {
                    throw RoutingError(.unavailable, "cancelled")
                }
                var call = request
                call.model = target.model
                calls += 1
                if attempt > 1 { metrics.retrying(target) }
                let started = clock.now()
                do {
                    let response = try await traced(target, attempt: attempt) { () async throws(ProviderError) in
                        try await callProvider(provider, call)
                    }
                    metrics.succeeded(target, after: clock.elapsed(since: started))
                    breaker.recordSuccess()
                    // The permit was estimated (input + maxTokens); charge the limiter what was used.
                    await limiter.correct(key: target.limiterKey, estimated: permit,
                                    actual: Permit(requests: 1, tokens: response.usage.totalTokens))
                    return Routed(target: target, response: response, attempts: calls)
                } catch {
                    metrics.failed(target, error, after: clock.elapsed(since: started))
                    lastFailure = "\(target): \(error.message)"
                    guard error.allowsFallback else { throw RoutingError(.invalidRequest, lastFailure) }
                    if case .rateLimited(let wait) = error.kind {
                        // The provider's own word: pause its limiter so no caller hammers it.
                        let pause = wait ?? .seconds(1)
                        limiter.pause(key: target.limiterKey, for: pause)
                        shortestWait = min(shortestWait ?? pause, pause)
                    } else {
                        otherFailure = true
                        breaker.recordFailure()
                    }
                    guard error.isRetryable, attempt < retry.attemptsPerTarget else { break }
                    let backoff = min(retry.maxBackoff, retry.baseBackoff * (1 << min(attempt - 1, 16)))
                    let wakeAt = clock.now().addingTimeInterval(backoff.timeInterval)
                    guard wakeAt < deadline else { break }
                    do { try await clock.sleep(until: wakeAt) } catch { throw RoutingError(.unavailable, "cancelled") }
                }
            }
        }
        if !otherFailure, let shortestWait {
            throw RoutingError(.rateLimited(retryAfter: shortestWait), "every provider of the route is at its rate limit")
        }
        throw RoutingError(.unavailable, "no provider answered: \(lastFailure)")
    }
}
