import Foundation
public import Runtime
import Synchronization

/// A provider in process, for development, tests and load: answers after a configurable
/// latency (plus output tokens at a configurable speed), fails at configurable rates, and is
/// deterministic for a seed. Text is made of words picked from the prompt's hash, so the same
/// prompt gives the same answer.
public final class SimulatedProvider: LLMProvider {
    public struct Configuration: Sendable, Equatable {
        /// Time to the first token.
        public var latency: Duration
        /// Output speed; nil answers at once after `latency`.
        public var tokensPerSecond: Double?
        /// Share of calls answered with a 429 (0…1).
        public var rateLimitRate: Double
        /// Share of calls answered with a 5xx (0…1).
        public var errorRate: Double
        /// Output tokens of an answer when `maxTokens` allows them.
        public var outputTokens: Int
        public var seed: UInt64

        public init(latency: Duration = .zero, tokensPerSecond: Double? = nil, rateLimitRate: Double = 0, errorRate: Double = 0,
                    outputTokens: Int = 16, seed: UInt64 = 42) {
            self.latency = latency
            self.tokensPerSecond = tokensPerSecond
            self.rateLimitRate = rateLimitRate
            self.errorRate = errorRate
            self.outputTokens = outputTokens
            self.seed = seed
        }
    }

    public let id: String
    public let configuration: Configuration
    private let clock: any WallClock
    private let state: Shared

    /// The seeded sequence and the call count, shared by the copies `stream` makes.
    private final class Shared: Sendable {
        let sequence: Mutex<UInt64>
        let calls = Atomic<Int>(0)
        init(seed: UInt64) { sequence = Mutex(seed) }
    }

    public convenience init(id: String = "simulated", configuration: Configuration = Configuration(), clock: any WallClock = SystemClock()) {
        self.init(id: id, configuration: configuration, clock: clock, state: Shared(seed: configuration.seed))
    }

    private init(id: String, configuration: Configuration, clock: any WallClock, state: Shared) {
        self.id = id
        self.configuration = configuration
        self.clock = clock
        self.state = state
    }

    /// How many calls reached this provider.
    public var callCount: Int { state.calls.load(ordering: .relaxed) }

    public func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        state.calls.add(1, ordering: .relaxed)
        let roll = nextUnit()
        let output = min(request.maxTokens, configuration.outputTokens)
        var wait = configuration.latency
        if let speed = configuration.tokensPerSecond, speed > 0 { wait += .seconds(Double(output) / speed) }
        if wait > .zero {
            do { try await clock.sleep(until: clock.now().addingTimeInterval(wait.timeInterval)) } catch {
                throw ProviderError(.timeout, "cancelled while waiting for the simulated answer")
            }
        }
        if roll < configuration.rateLimitRate {
            throw ProviderError(.rateLimited(retryAfter: .seconds(1)), "simulated 429")
        }
        if roll < configuration.rateLimitRate + configuration.errorRate {
            throw ProviderError(.unavailable, "simulated 503")
        }
        return ProviderResponse(text: Self.text(for: request, tokens: output),
                                finishReason: output < configuration.outputTokens ? "length" : "stop",
                                usage: TokenUsage(inputTokens: TokenEstimate.inputTokens(request.messages), outputTokens: output))
    }

    /// Word by word; with `tokensPerSecond` the words are paced on the clock after `latency`.
    public func stream(_ request: ProviderRequest) -> AsyncThrowingStream<CompletionChunk, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var paced = self.configuration
                    paced.tokensPerSecond = nil
                    let response = try await SimulatedProvider(id: self.id, configuration: paced, clock: self.clock, state: self.state)
                        .complete(request)
                    let words = response.text.split(separator: " ")
                    for (index, word) in words.enumerated() {
                        if let speed = self.configuration.tokensPerSecond, speed > 0 {
                            try await self.clock.sleep(until: self.clock.now().addingTimeInterval(1 / speed))
                        }
                        continuation.yield(.delta(index == 0 ? String(word) : " " + word))
                    }
                    continuation.yield(.finished(response))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A number in 0..<1 from the seeded sequence (SplitMix64).
    private func nextUnit() -> Double {
        let value = state.sequence.withLock { state -> UInt64 in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Double(value >> 11) / Double(1 << 53)
    }

    private static let words = ["the", "switch", "board", "routes", "every", "call", "to", "a", "model", "and", "back",
                                "quickly", "with", "care", "for", "cost"]

    private static func text(for request: ProviderRequest, tokens: Int) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for message in request.messages { for byte in message.content.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 } }
        return (0..<tokens).map { index in words[Int((hash >> UInt64(index % 60)) % UInt64(words.count))] }.joined(separator: " ")
    }
}
