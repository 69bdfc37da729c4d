import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import Runtime
import Synchronization
import Testing

@Suite("Idempotency-Key: per caller, fingerprinted with its headers, held while the request runs")
struct IdempotencyScopeTests {
    static let complete = "/llm-orch/v1/inference/complete"
    static let key: HTTPFields = [.init("Idempotency-Key")!: "shared-key"]

    @Test("two users of one tenant with the same key each get their own answer, never the other's")
    func keysArePerUser() async throws {
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) })
        let alice = try await harness.token(sub: "alice"), bob = try await harness.token(sub: "bob")
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, wallet: "user:alice", amount: "1.00")
            let first = try await client.send(.post, Self.complete, token: alice, json: #"{"prompt":"hi","maxTokens":5}"#, headers: Self.key)
            #expect(first.status == .ok)
            let second = try await client.send(.post, Self.complete, token: bob, json: #"{"prompt":"hi","maxTokens":5}"#, headers: Self.key)
            #expect(second.status.code == 402)  // bob has no credit: his own request ran, not alice's replay
            #expect(second.headers[.init("Idempotency-Replayed")!] == nil)
            #expect(providerBox.provider?.callCount == 1)

            // Messages and batches dedupe by the key too: per user as well.
            let sms = #"{"channel":"sms","to":"+14155550100","body":"hello"}"#
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let smsKey: HTTPFields = [.init("Idempotency-Key")!: "shared-sms-key"]
            let aliceSMS = try ParsedEnvelope(try await client.send(.post, "/cpaas/v1/messages", token: alice, json: sms, headers: smsKey))
            let bobSMS = try ParsedEnvelope(try await client.send(.post, "/cpaas/v1/messages", token: bob, json: sms, headers: smsKey))
            let aliceID = try #require(aliceSMS.dataObject?["id"] as? String)
            let bobID = try #require(bobSMS.dataObject?["id"] as? String)
            #expect(aliceID != bobID)
        }
    }

    @Test("the same key and body with another x-wallet, x-budget-max-usd or Content-Type is 422 idempotency_mismatch",
          arguments: [("x-wallet", "team"), ("x-budget-max-usd", "0.000001"), ("Content-Type", "application/json; charset=utf-8")])
    func meaningfulHeadersAreFingerprinted(header: String, value: String) async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let body = #"{"prompt":"hi","maxTokens":5}"#
            #expect(try await client.send(.post, Self.complete, token: token, json: body, headers: Self.key).status == .ok)
            var headers = Self.key
            headers[HTTPField.Name(header)!] = value
            let changed = try await client.send(.post, Self.complete, token: token, json: body, headers: headers)
            #expect(changed.status == .unprocessableContent)
            #expect(try ParsedEnvelope(changed).errorCode == "idempotency_mismatch")
        }
    }

    @Test("a retry after the old 60 s mark, while the first still runs, is 409 and calls the provider once")
    func markOutlivesTheRequest() async throws {
        let gate = GatedProvider()
        var configuration = LLMConfiguration.development
        configuration.requestDeadline = .seconds(300)
        let harness = try await Harness.make(llmConfiguration: configuration, providers: { gate.make($0) },
                                             workers: WorkerConfiguration(leaseDuration: .seconds(3_600)))
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let body = #"{"prompt":"hi","maxTokens":5}"#
            async let first = client.send(.post, Self.complete, token: token, json: body, headers: Self.key)
            await gate.entered()
            harness.clock.advance(by: .seconds(61))
            let retry = try await client.send(.post, Self.complete, token: token, json: body, headers: Self.key)
            #expect(retry.status == .conflict)
            #expect(try ParsedEnvelope(retry).errorCode == "idempotency_conflict")
            gate.open()
            #expect(try await first.status == .ok)
            let replay = try await client.send(.post, Self.complete, token: token, json: body, headers: Self.key)
            #expect(replay.headers[.init("Idempotency-Replayed")!] == "true")
            #expect(gate.calls == 1)
        }
    }

    @Test("a retry whose stored answer is gone (the first process died) answers the first job; nothing runs twice")
    func retryFindsTheFirstJob() async throws {
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let body = #"{"prompt":"hi","maxTokens":5}"#
            let first = try ParsedEnvelope(try await client.send(.post, Self.complete, token: token, json: body, headers: Self.key))
            let balance = try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))
            // As if the process had died before storing the answer: the key's row is gone.
            _ = try await harness.runtime.idempotency.purgeExpired(now: Date().addingTimeInterval(2 * 86_400))
            let retry = try await client.send(.post, Self.complete, token: token, json: body, headers: Self.key)
            #expect(retry.status == .ok)
            #expect(try ParsedEnvelope(retry).dataObject?["id"] as? String == first.dataObject?["id"] as? String)
            #expect(providerBox.provider?.callCount == 1)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)) == balance)
        }
    }

    @Test("a replay's body is the first answer verbatim (its meta.request_id); x-request-id names this request")
    func replayRequestIDRule() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let first = try await client.credit(tenant: TestKeys.tenant, amount: "1.00", key: "rid")
            let replay = try await client.credit(tenant: TestKeys.tenant, amount: "1.00", key: "rid")
            let firstID = try ParsedEnvelope(first).meta?["request_id"] as? String
            #expect(try ParsedEnvelope(replay).meta?["request_id"] as? String == firstID)
            #expect(replay.headers[.init("x-request-id")!] != firstID)
            #expect(replay.headers[.init("x-request-id")!] != nil)
        }
    }
}

/// A simulated provider whose calls wait until the test opens the gate.
final class GatedProvider: Sendable {
    private struct State {
        var provider: SimulatedProvider?
        var open = false
        var calls = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        var enteredWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    var calls: Int { state.withLock { $0.calls } }

    func make(_ clock: TestClock) -> [any LLMProvider] {
        let simulated = SimulatedProvider(clock: clock)
        state.withLock { $0.provider = simulated }
        return [Gated(gate: self, inner: simulated)]
    }

    /// Returns once a call is waiting at the gate.
    func entered() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.calls > 0 { return true }
                state.enteredWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        waiting.forEach { $0.resume() }
    }

    fileprivate func pass() async {
        await withCheckedContinuation { continuation in
            let (resumeNow, entered) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                state.calls += 1
                defer { state.enteredWaiters = [] }
                if state.open { return (true, state.enteredWaiters) }
                state.waiting.append(continuation)
                return (false, state.enteredWaiters)
            }
            entered.forEach { $0.resume() }
            if resumeNow { continuation.resume() }
        }
    }

    private struct Gated: LLMProvider {
        let gate: GatedProvider
        let inner: SimulatedProvider
        var id: String { inner.id }

        func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
            await gate.pass()
            return try await inner.complete(request)
        }
    }
}
