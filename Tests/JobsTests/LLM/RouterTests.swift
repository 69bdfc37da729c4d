import Foundation
@testable import Jobs
import Runtime
import Synchronization
import Testing

/// A provider that answers from a script, one entry a call (the last repeats), and counts calls.
final class ScriptedProvider: LLMProvider {
    let id: String
    private let script: Mutex<[Result<ProviderResponse, ProviderError>]>
    private let counter = Atomic<Int>(0)

    init(_ id: String, _ script: [Result<ProviderResponse, ProviderError>]) {
        self.id = id
        self.script = Mutex(script)
    }

    var calls: Int { counter.load(ordering: .relaxed) }

    func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        counter.add(1, ordering: .relaxed)
        let next = script.withLock { script in script.count > 1 ? script.removeFirst() : script[0] }
        return try next.get()
    }

    static let ok = Result<ProviderResponse, ProviderError>.success(
        ProviderResponse(text: "hi", finishReason: "stop", usage: TokenUsage(inputTokens: 5, outputTokens: 2)))
    static let down = Result<ProviderResponse, ProviderError>.failure(ProviderError(.unavailable, "503"))
}

@Suite("LLM routing, fallback and circuit breakers")
struct RouterTests {
    let request = ProviderRequest(model: "", messages: [ChatMessage(role: .user, content: "hello")], maxTokens: 10)
    let routing = LLMRouting(routes: [
        "chat": [RouteTarget(provider: "a", model: "a-1"), RouteTarget(provider: "b", model: "b-1")],
        "summarize": [RouteTarget(provider: "a", model: "a-2")],
    ], defaultUseCase: "chat")

    func router(_ providers: [ScriptedProvider], clock: TestClock, limiter: RateLimiter? = nil,
                breaker: CircuitBreaker.Configuration = .init(failureThreshold: 3, openDuration: .seconds(30))) -> LLMRouter {
        LLMRouter(providers: providers, routing: routing, limiter: limiter ?? RateLimiter(clock: clock), clock: clock,
                  breaker: breaker, retry: .init(attemptsPerTarget: 1))
    }

    @Test("routes by useCase, narrow by an allowed model, and refuse unknown ones")
    func targets() throws {
        #expect(try routing.targets(useCase: nil, model: nil).map(\.provider) == ["a", "b"])
        #expect(try routing.targets(useCase: "chat", model: "b-1") == [RouteTarget(provider: "b", model: "b-1")])
        #expect(throws: RoutingError.self) { try routing.targets(useCase: "poetry", model: nil) }
        #expect(throws: RoutingError.self) { try routing.targets(useCase: "summarize", model: "a-1") }
    }

    @Test("a 5xx falls back to the next provider with that provider's model")
    func fallback() async throws {
        let clock = TestClock()
        let a = ScriptedProvider("a", [ScriptedProvider.down])
        let b = ScriptedProvider("b", [ScriptedProvider.ok])
        let routed = try await router([a, b], clock: clock)
            .complete(request, targets: try routing.targets(useCase: nil, model: nil), deadline: clock.now().addingTimeInterval(30))
        #expect(routed.target == RouteTarget(provider: "b", model: "b-1"))
        #expect(routed.attempts == 2)
        #expect(a.calls == 1 && b.calls == 1)
    }

    @Test("a retryable failure is retried on the same provider after a backoff on the clock")
    func retryWithBackoff() async throws {
        let clock = TestClock()
        let a = ScriptedProvider("a", [ScriptedProvider.down, ScriptedProvider.ok])
        let router = LLMRouter(providers: [a], routing: routing, limiter: RateLimiter(clock: clock), clock: clock,
                               retry: .init(attemptsPerTarget: 2, baseBackoff: .milliseconds(200)))
        let call = Task { try await router.complete(request, targets: [RouteTarget(provider: "a", model: "a-1")],
                                                    deadline: clock.now().addingTimeInterval(30)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        #expect(a.calls == 1)
        clock.advance(by: .milliseconds(200))
        let routed = try await call.value
        #expect(routed.attempts == 2 && a.calls == 2)
    }

    @Test("an invalid request is neither retried nor sent to another provider")
    func invalidRequestStops() async throws {
        let clock = TestClock()
        let a = ScriptedProvider("a", [.failure(ProviderError(.invalidRequest, "400 bad"))])
        let b = ScriptedProvider("b", [ScriptedProvider.ok])
        await #expect(throws: RoutingError.self) {
            try await router([a, b], clock: clock).complete(request, targets: try routing.targets(useCase: nil, model: nil),
                                                             deadline: clock.now().addingTimeInterval(30))
        }
        #expect(b.calls == 0)
    }

    @Test("the breaker opens after repeated failures, skips the provider, then half-opens one probe")
    func breaker() async throws {
        let clock = TestClock()
        let a = ScriptedProvider("a", [ScriptedProvider.down, ScriptedProvider.down, ScriptedProvider.down, ScriptedProvider.ok])
        let b = ScriptedProvider("b", [ScriptedProvider.ok])
        let router = router([a, b], clock: clock)
        let targets = try routing.targets(useCase: nil, model: nil)
        for _ in 0..<3 { _ = try await router.complete(request, targets: targets, deadline: clock.now().addingTimeInterval(30)) }
        #expect(router.breakerState("a") == .open)
        _ = try await router.complete(request, targets: targets, deadline: clock.now().addingTimeInterval(30))
        #expect(a.calls == 3, "an open breaker must not let calls through")
        clock.advance(by: .seconds(30))
        #expect(router.breakerState("a") == .halfOpen)
        let probe = try await router.complete(request, targets: targets, deadline: clock.now().addingTimeInterval(30))
        #expect(probe.target.provider == "a")
        #expect(router.breakerState("a") == .closed)
    }

    @Test("a half-open breaker lets one probe through and reopens when it fails")
    func halfOpenProbeFails() {
        let clock = TestClock()
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, openDuration: .seconds(10)), clock: clock)
        breaker.recordFailure()
        #expect(!breaker.permit())
        clock.advance(by: .seconds(10))
        #expect(breaker.permit())
        #expect(!breaker.permit(), "only one probe at a time")
        breaker.recordFailure()
        #expect(breaker.state == .open)
        #expect(!breaker.permit())
    }

    @Test("a provider's 429 pauses its limiter; with no capacity before the deadline the answer is rate_limited")
    func rateLimited() async throws {
        let clock = TestClock()
        let a = ScriptedProvider("a", [.failure(ProviderError(.rateLimited(retryAfter: .seconds(20)), "429"))])
        let limiter = RateLimiter(clock: clock)
        let router = router([a], clock: clock, limiter: limiter)
        let only = [RouteTarget(provider: "a", model: "a-1")]
        await #expect(throws: RoutingError(.rateLimited(retryAfter: .seconds(20)), "every provider of the route is at its rate limit")) {
            try await router.complete(request, targets: only, deadline: clock.now().addingTimeInterval(5))
        }
        #expect(a.calls == 1)
        #expect(limiter.pauseRemaining(key: only[0].limiterKey) == .seconds(20))
        do {
            _ = try await router.complete(request, targets: only, deadline: clock.now().addingTimeInterval(5))
            Issue.record("expected rate_limited")
        } catch {
            guard case .rateLimited(let wait) = error.kind else { Issue.record("got \(error)"); return }
            #expect(wait == .seconds(20))
        }
        #expect(a.calls == 1, "a paused provider must not be called")
    }

    @Test("the RPM limit gates calls: beyond it the router answers rate_limited without calling")
    func requestsPerMinute() async throws {
        let clock = TestClock()
        let a = ScriptedProvider("a", [ScriptedProvider.ok])
        let limiter = RateLimiter(clock: clock) { _ in [.requests(2, per: .seconds(60))] }
        let router = router([a], clock: clock, limiter: limiter)
        let only = [RouteTarget(provider: "a", model: "a-1")]
        _ = try await router.complete(request, targets: only, deadline: clock.now())
        _ = try await router.complete(request, targets: only, deadline: clock.now())
        await #expect(throws: RoutingError.self) { try await router.complete(request, targets: only, deadline: clock.now()) }
        #expect(a.calls == 2)
    }
}

@Suite("Token limits corrected by actual usage")
struct TokenCorrectionTests {
    @Test("a TPM limit is charged the tokens used, not the estimate: unused estimate comes back at once")
    func correction() async throws {
        let clock = TestClock()
        // 200 tokens a minute; each call is estimated at 9 input + 80 max = 89 tokens but uses 7:
        // charged by estimate only two calls would fit, charged by use five fit with 35 used.
        let limiter = RateLimiter(clock: clock) { _ in [.tokens(200, per: .seconds(60))] }
        let a = ScriptedProvider("a", [.success(ProviderResponse(text: "x", finishReason: "stop",
                                                                  usage: TokenUsage(inputTokens: 5, outputTokens: 2)))])
        let router = LLMRouter(providers: [a], routing: LLMRouting(routes: ["chat": [RouteTarget(provider: "a", model: "m")]],
                                                                   defaultUseCase: "chat"),
                               limiter: limiter, clock: clock, retry: .init(attemptsPerTarget: 1))
        let request = ProviderRequest(model: "", messages: [ChatMessage(role: .user, content: "hello world 12345")], maxTokens: 80)
        for _ in 0..<5 {
            _ = try await router.complete(request, targets: [RouteTarget(provider: "a", model: "m")], deadline: clock.now())
        }
        #expect(a.calls == 5, "without the correction the third call would have waited for capacity")
        #expect(try limiter.tryAcquire(key: "llm:a:m", permit: Permit(tokens: 170)).isAdmitted == false)
        #expect(try limiter.tryAcquire(key: "llm:a:m", permit: Permit(tokens: 160)).isAdmitted)
    }
}

/// Streams two deltas, then breaks.
struct BreakingStreamProvider: LLMProvider {
    let id = "breaking"
    func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse { throw ProviderError(.unavailable, "x") }
    func stream(_ request: ProviderRequest) -> AsyncThrowingStream<CompletionChunk, any Error> {
        AsyncThrowingStream { continuation in
            continuation.yield(.delta("one two "))
            continuation.yield(.delta("three"))
            continuation.finish(throwing: ProviderError(.unavailable, "connection reset"))
        }
    }
}

@Suite("Streaming through the router")
struct StreamingRouterTests {
    let routing = LLMRouting(routes: ["chat": [RouteTarget(provider: "breaking", model: "m"), RouteTarget(provider: "b", model: "m")]],
                             defaultUseCase: "chat")

    @Test("a stream that breaks after its first delta ends with what was produced and does not fall back")
    func brokenMidStream() async throws {
        let clock = TestClock()
        let backup = ScriptedProvider("b", [ScriptedProvider.ok])
        let router = LLMRouter(providers: [BreakingStreamProvider(), backup], routing: routing, limiter: RateLimiter(clock: clock),
                               clock: clock, retry: .init(attemptsPerTarget: 1))
        let received = Mutex<[String]>([])
        let routed = try await router.stream(ProviderRequest(model: "", messages: [ChatMessage(role: .user, content: "hi")], maxTokens: 50),
                                             targets: try routing.targets(useCase: nil, model: nil),
                                             deadline: clock.now().addingTimeInterval(30)) { delta in received.withLock { $0.append(delta) } }
        #expect(received.withLock { $0 } == ["one two ", "three"])
        #expect(routed.target.provider == "breaking")
        #expect(routed.response.finishReason == "error")
        #expect(routed.response.usage.outputTokens == 4)  // 13 bytes of text, charged as produced
        #expect(backup.calls == 0)
    }

    @Test("the simulated provider streams word by word, paced on the clock")
    func simulatedStream() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(configuration: .init(tokensPerSecond: 10, outputTokens: 3), clock: clock)
        let stream = provider.stream(ProviderRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")], maxTokens: 3))
        let reading = Task { () -> [CompletionChunk] in
            var chunks: [CompletionChunk] = []
            for try await chunk in stream { chunks.append(chunk) }
            return chunks
        }
        for _ in 0..<3 {
            while clock.sleeperCount == 0 { await Task.yield() }
            clock.advance(by: .milliseconds(100))
        }
        let chunks = try await reading.value
        #expect(chunks.count == 4)
        guard case .finished(let response) = chunks.last else { Issue.record("no finish"); return }
        let text = chunks.compactMap { if case .delta(let text) = $0 { text } else { nil } }.joined()
        #expect(text == response.text)
        #expect(provider.callCount == 1)
    }
}
