import Foundation
import Hummingbird
import HTTPTypes

extension MockProvider {
    /// Settings of the messaging endpoints. Latency, `errorRate` (503) and `rateLimitRate` (429
    /// with `Retry-After: 1`) come from `Configuration` and apply to sends and template listings.
    public struct MessagingConfiguration: Sendable {
        /// How many Content API templates `GET /v1/ContentAndApprovals` pages over.
        public var twilioTemplates: Int
        /// How many dynamic templates `GET /v3/templates` pages over.
        public var sendGridTemplates: Int
        /// SendGrid requests allowed per window (`X-RateLimit-Limit`); the ones past it get 429.
        public var sendGridRateLimit: Int
        /// The length of SendGrid's fixed rate-limit window.
        public var sendGridRateLimitWindow: Duration
        /// The Twilio auth token to require; nil accepts any non-empty one (the account SID
        /// in the Basic credentials must always match the one in the path).
        public var twilioAuthToken: String?
        /// The SendGrid API key to require; nil accepts any non-empty one.
        public var sendGridAPIKey: String?
        /// Share of accepted sends (0…1) answered 503 all the same: delivered, but the answer
        /// is lost, as when a connection drops. A resend with the same dedupe key is not delivered again.
        public var lostAnswerRate: Double
        /// Signed status callbacks to a send's `StatusCallback`; nil sends none.
        public var twilioCallbacks: TwilioCallbacks?

        public init(twilioTemplates: Int = 23, sendGridTemplates: Int = 12, sendGridRateLimit: Int = 600,
                    sendGridRateLimitWindow: Duration = .seconds(60), twilioAuthToken: String? = nil, sendGridAPIKey: String? = nil,
                    lostAnswerRate: Double = 0, twilioCallbacks: TwilioCallbacks? = nil) {
            self.twilioCallbacks = twilioCallbacks
            self.twilioTemplates = twilioTemplates
            self.sendGridTemplates = sendGridTemplates
            self.sendGridRateLimit = sendGridRateLimit
            self.sendGridRateLimitWindow = sendGridRateLimitWindow
            self.twilioAuthToken = twilioAuthToken
            self.sendGridAPIKey = sendGridAPIKey
            self.lostAnswerRate = lostAnswerRate
        }
    }

    /// Registers the Twilio, SendGrid and `GET /_mock/messages` endpoints.
    func addMessagingRoutes(to router: Router<BasicRequestContext>) {
        router.post("/2010-04-01/Accounts/:sid/Messages.json") { request, context in try await self.twilioSend(request, context: context) }
        router.get("/2010-04-01/Accounts/:sid/Messages/:message") { request, context in self.twilioMessage(request, context: context) }
        router.get("/v1/ContentAndApprovals") { request, _ in try await self.twilioTemplates(request) }
        router.post("/v3/mail/send") { request, _ in try await self.sendGridSend(request) }
        router.get("/v3/templates") { request, _ in try await self.sendGridTemplates(request) }
        router.get("/_mock/messages") { _, _ in Self.json(.ok, self.messagesReport) }
    }

    /// A random fault the configuration asks for, as the n-th messaging call.
    enum Fault { case rateLimited, unavailable }

    /// Waits the configured latency, then rolls for a configured fault.
    func latencyAndFault() async throws -> Fault? {
        let fault = faults.current(configuration)
        if fault.latency > .zero { try await Task.sleep(for: fault.latency) }
        let roll = Self.unit(ledger.nextCall())
        if roll < fault.rateLimitRate { return .rateLimited }
        if roll < fault.rateLimitRate + fault.errorRate { return .unavailable }
        return nil
    }

    /// Whether this accepted send's answer is to be lost (`lostAnswerRate`).
    func loseAnswer(_ sequence: Int) -> Bool {
        configuration.messaging.lostAnswerRate > 0 && Self.unit(sequence &+ 0x5BD1_E995) < configuration.messaging.lostAnswerRate
    }

    /// A JSON answer (keys sorted, so answers are stable) with extra headers.
    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, headers: [String: String] = [:]) -> Response {
        response(status, body: jsonText(value), headers: headers)
    }

    /// `value` as JSON text, keys sorted.
    static func jsonText(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// An answer with a JSON body (or none when empty) and extra headers.
    static func response(_ status: HTTPResponse.Status, body: String, headers: [String: String] = [:]) -> Response {
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: body)))
        if !body.isEmpty { response.headers[.contentType] = "application/json" }
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { response.headers[name] = value }
        }
        return response
    }

    /// The `http://host:port` a client reached this mock at, for absolute next-page links; nil if it did not say.
    static func origin(of request: Request) -> String? {
        request.head.authority.map { "http://\($0)" }
    }
}
