import Foundation
@testable import Jobs
import MetricsTestKit
import Runtime
import Synchronization
import Testing

/// A provider that takes `latency` on the test clock (it moves the clock itself, so nothing
/// sleeps) and then answers from a script, like `ScriptedProvider`.
final class SlowScriptedProvider: LLMProvider {
    let id: String
    private let clock: TestClock
    private let latency: Duration
    private let script: Mutex<[Result<ProviderResponse, ProviderError>]>

    init(_ id: String, clock: TestClock, latency: Duration, _ script: [Result<ProviderResponse, ProviderError>]) {
        self.id = id
        self.clock = clock
        self.latency = latency
        self.script = Mutex(script)
    }

    func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        clock.advance(by: latency)
        let next = script.withLock { script in script.count > 1 ? script.removeFirst() : script[0] }
        return try next.get()
    }
}

@Suite("Provider and relay metrics")
struct ProviderMetricsTests {
    let request = ProviderRequest(model: "", messages: [ChatMessage(role: .user, content: "hello")], maxTokens: 10)
    let routing = LLMRouting(routes: ["chat": [RouteTarget(provider: "a", model: "a-1"), RouteTarget(provider: "b", model: "b-1")]],
                             defaultUseCase: "chat")

    @Test("a call that fails, is retried, opens the breaker and falls back is counted in every series with its labels")
    func routerSeries() async throws {
        let metrics = TestMetrics()
        let clock = TestClock()
        let a = SlowScriptedProvider("a", clock: clock, latency: .milliseconds(250), [ScriptedProvider.down])
        let b = SlowScriptedProvider("b", clock: clock, latency: .milliseconds(125), [ScriptedProvider.ok])
        let router = LLMRouter(providers: [a, b], routing: routing, limiter: RateLimiter(clock: clock), clock: clock,
                               breaker: .init(failureThreshold: 2, openDuration: .seconds(30)),
                               retry: .init(attemptsPerTarget: 2, baseBackoff: .milliseconds(200)),
                               metrics: ProviderMetrics(factory: metrics))
        // Made when the router is: a closed breaker and an untried target show before any call.
        #expect(try metrics.expectGauge("switchboard_circuit_breaker_state", [("domain", "llm"), ("provider", "a")]).lastValue == 0)
        #expect(try metrics.expectCounter("switchboard_provider_requests_total",
                                          [("provider", "b"), ("model", "b-1"), ("outcome", "success")]).totalValue == 0)

        let call = Task { try await router.complete(request, targets: routing.routes["chat"]!, deadline: clock.now().addingTimeInterval(30)) }
        while clock.sleeperCount == 0 { await Task.yield() }  // a failed once; the router waits its backoff
        clock.advance(by: .milliseconds(200))
        let routed = try await call.value
        #expect(routed.target.provider == "b")

        let aLabels = [("provider", "a"), ("model", "a-1")], bLabels = [("provider", "b"), ("model", "b-1")]
        #expect(try metrics.expectCounter("switchboard_provider_requests_total", aLabels + [("outcome", "error")]).totalValue == 2)
        #expect(try metrics.expectCounter("switchboard_provider_requests_total", aLabels + [("outcome", "success")]).totalValue == 0)
        #expect(try metrics.expectCounter("switchboard_provider_requests_total", bLabels + [("outcome", "success")]).totalValue == 1)
        #expect(try metrics.expectTimer("switchboard_provider_request_duration_seconds", aLabels).values == [250_000_000, 250_000_000])
        #expect(try metrics.expectTimer("switchboard_provider_request_duration_seconds", bLabels).values == [125_000_000])
        #expect(try metrics.expectCounter("switchboard_provider_errors_total", [("provider", "a"), ("kind", "unavailable")]).totalValue == 2)
        #expect(try metrics.expectCounter("switchboard_provider_retries_total", aLabels).totalValue == 1)
        #expect(try metrics.expectCounter("switchboard_provider_retries_total", bLabels).totalValue == 0)
        #expect(try metrics.expectCounter("switchboard_provider_fallbacks_total", [("from", "a/a-1"), ("to", "b/b-1")]).totalValue == 1)
        #expect(try metrics.expectGauge("switchboard_circuit_breaker_state", [("domain", "llm"), ("provider", "a")]).lastValue == 2)
        #expect(try metrics.expectGauge("switchboard_circuit_breaker_state", [("domain", "llm"), ("provider", "b")]).lastValue == 0)
        // Three acquisitions, none waited. (Latencies are binary fractions of a second: a `Date` holds them exactly.)
        #expect(try metrics.expectTimer("switchboard_rate_limiter_wait_seconds", [("limiter", "llm:a:a-1")]).values == [0, 0])
        #expect(try metrics.expectTimer("switchboard_rate_limiter_wait_seconds", [("limiter", "llm:b:b-1")]).values == [0])

    }

    @Test("a breaker's gauge follows closed → open → half-open → closed")
    func breakerGauge() throws {
        let metrics = TestMetrics()
        let clock = TestClock()
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, openDuration: .seconds(10)), clock: clock,
                                     gauge: BreakerMetrics(domain: "llm", factory: metrics).gauge(provider: "p"))
        breaker.recordFailure()
        clock.advance(by: .seconds(10))
        #expect(breaker.permit())
        breaker.recordSuccess()
        breaker.recordSuccess()  // already closed: no new sample
        #expect(try metrics.expectGauge("switchboard_circuit_breaker_state", [("domain", "llm"), ("provider", "p")]).values == [0, 2, 1, 0])
    }

    @Test("a wait for the provider's rate limiter is recorded on the limiter's series, and a refusal counted")
    func limiterWait() async throws {
        let metrics = TestMetrics()
        let clock = TestClock()
        let limiter = RateLimiter(clock: clock)
        let target = RouteTarget(provider: "a", model: "a-1")
        limiter.configure(key: target.limiterKey, quotas: [.requests(1, per: .seconds(10))])
        let a = SlowScriptedProvider("a", clock: clock, latency: .zero, [ScriptedProvider.ok])
        let router = LLMRouter(providers: [a], routing: routing, limiter: limiter, clock: clock, retry: .init(attemptsPerTarget: 1),
                               metrics: ProviderMetrics(factory: metrics))
        _ = try await router.complete(request, targets: [target], deadline: clock.now().addingTimeInterval(30))
        let second = Task { try await router.complete(request, targets: [target], deadline: clock.now().addingTimeInterval(30)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(10))
        _ = try await second.value
        #expect(try metrics.expectTimer("switchboard_rate_limiter_wait_seconds", [("limiter", "llm:a:a-1")]).values == [0, 10_000_000_000])
        // Capacity only after the deadline: refused at once.
        await #expect(throws: RoutingError.self) {
            try await router.complete(request, targets: [target], deadline: clock.now().addingTimeInterval(1))
        }
        #expect(try metrics.expectCounter("switchboard_rate_limiter_refusals_total", [("limiter", "llm:a:a-1")]).totalValue == 1)
    }

    @Test("the relay counts sends by provider, channel and outcome, their latency, errors by kind and retries")
    func relaySeries() async throws {
        let metrics = TestMetrics()
        let base = try await MessagingHarness.open()
        let hub = MessagingHub(configuration: base.hub.configuration, providers: [base.provider], clock: base.clock,
                               metrics: MessagingMetrics(factory: metrics))
        let relay = OutboxRelay(hub: hub, backend: base.backend, wallets: base.wallets, owner: "r")
        let messages = Messages(hub: hub, backend: base.backend, wallets: base.wallets)
        try await base.fund("acme")
        base.provider.script("+14155550101", [.failure(MessagingError(.transient, code: "503", "down"))])
        _ = try await messages.accept(Messages.Request(channel: .sms, to: "+14155550100", body: "one"), tenant: "acme", idempotencyKey: nil)
        _ = try await messages.accept(Messages.Request(channel: .sms, to: "+14155550101", body: "two"), tenant: "acme", idempotencyKey: nil)
        _ = try await relay.pass()
        let labels = [("provider", "scripted"), ("channel", "sms")]
        #expect(try metrics.expectCounter("switchboard_messaging_sends_total", labels + [("outcome", "success")]).totalValue == 1)
        #expect(try metrics.expectCounter("switchboard_messaging_sends_total", labels + [("outcome", "error")]).totalValue == 1)
        #expect(try metrics.expectTimer("switchboard_messaging_send_duration_seconds", labels).values.count == 2)
        #expect(try metrics.expectCounter("switchboard_messaging_send_errors_total", [("provider", "scripted"), ("kind", "transient")])
            .totalValue == 1)
        #expect(try metrics.expectCounter("switchboard_messaging_retries_total", [("provider", "scripted")]).totalValue == 1)
        #expect(try metrics.expectTimer("switchboard_rate_limiter_wait_seconds", [("limiter", "messaging:scripted")]).values == [0, 0])
        #expect(try metrics.expectGauge("switchboard_circuit_breaker_state", [("domain", "messaging"), ("provider", "scripted")])
            .lastValue == 0)
        await base.close()
    }
}
