import ArgumentParser
import Foundation
import Logging
import MockProvider

/// `switchboard mock-provider`: OpenAI-, Anthropic-, Twilio- and SendGrid-compatible endpoints
/// on loopback for tests and load runs; prints `mock-provider listening on http://127.0.0.1:<port>` first.
struct MockProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-provider",
        abstract: "Serve OpenAI-, Anthropic-, Twilio- and SendGrid-compatible endpoints with configurable latency and faults.")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port; 0 picks a free one.")
    var port = 8081

    @Option(help: "Milliseconds before each answer.")
    var latencyMs = 0

    @Option(help: "Share of calls answered 503 (0...1).")
    var errorRate = 0.0

    @Option(help: "Share of calls answered 429 with Retry-After: 1 (0...1).")
    var rateLimitRate = 0.0

    @Option(help: "Twilio auth token to require and to sign status callbacks with (default: any token; callbacks then unsigned).")
    var twilioAuthToken: String?

    @Flag(help: "Send signed Twilio status callbacks to each send's StatusCallback URL.")
    var twilioCallbacks = false

    @Option(help: "Milliseconds after a send before its first status callback.")
    var callbackDelayMs = 200

    @Option(help: "Share (0...1) of sends whose last callback comes twice.")
    var callbackDuplicateRate = 0.0

    @Option(help: "Share (0...1) of sends whose callbacks come in reverse order.")
    var callbackOutOfOrderRate = 0.0

    @Option(help: "Share (0...1) of sends that get no callback at all.")
    var callbackDropRate = 0.0

    func validate() throws {
        guard (0...600_000).contains(callbackDelayMs) else { throw ValidationError("--callback-delay-ms must be 0...600000") }
        for rate in [callbackDuplicateRate, callbackOutOfOrderRate, callbackDropRate] where !(0...1).contains(rate) {
            throw ValidationError("--callback-duplicate-rate, --callback-out-of-order-rate and --callback-drop-rate must be 0...1")
        }
        if twilioCallbacks, twilioAuthToken == nil { throw ValidationError("--twilio-callbacks needs --twilio-auth-token to sign with") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard (0...600_000).contains(latencyMs) else { throw ValidationError("--latency-ms must be 0...600000") }
        guard (0...1).contains(errorRate), (0...1).contains(rateLimitRate), errorRate + rateLimitRate <= 1 else {
            throw ValidationError("--error-rate and --rate-limit-rate must be 0...1 and add up to at most 1")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let callbacks = twilioCallbacks
            ? MockProvider.TwilioCallbacks(delay: .milliseconds(callbackDelayMs), duplicateRate: callbackDuplicateRate,
                                           outOfOrderRate: callbackOutOfOrderRate, dropRate: callbackDropRate)
            : nil
        let mock = MockProvider(configuration: .init(latency: .milliseconds(latencyMs), errorRate: errorRate, rateLimitRate: rateLimitRate,
                                                     messaging: .init(twilioAuthToken: twilioAuthToken, twilioCallbacks: callbacks)))
        let host = self.host
        try await mock.application(host: host, port: port, logger: Logger(label: "mock-provider")) { port in
            FileHandle.standardOutput.write(Data("mock-provider listening on http://\(host):\(port)\n".utf8))
        }.runService()
    }
}
