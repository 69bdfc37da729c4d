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
    private let state: Mutex<UInt64>
    private let calls = Atomic<Int>(0)

    public init(id: String = "simulated", configuration: Configuration = Configuration(), clock: any WallClock = SystemClock()) {
        self.id = id
        self.configuration = configuration
        self.clock = clock
        state = Mutex(configuration.seed)
    }

    /// How many calls reached this provider.
    public var callCount: Int { calls.load(ordering: .relaxed) }

    public func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        calls.add(1, ordering: .relaxed)
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

    /// A number in 0..<1 from the seeded sequence (SplitMix64).
    private func nextUnit() -> Double {
        let value = state.withLock { state -> UInt64 in
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
