import Foundation
import Hummingbird
import HTTPTypes

/// SendGrid's `POST /v3/mail/send`: Bearer auth, SendGrid's error shape, `X-RateLimit-Limit`,
/// `-Remaining` and `-Reset` on every answer (a fixed window of
/// `sendGridRateLimit` requests; the ones past it get 429), and magic recipients: `…@bounce.test`
/// → 400, `…@ratelimit.test` → 429 (`Remaining: 0`, reset in 2 s), `…@fail.test` → 503.
/// `Idempotency-Key` dedupes: the same key gets the first answer and delivers nothing more.
extension MockProvider {
    private struct MailRequest: Decodable {
        struct Address: Decodable { var email: String }
        struct Personalization: Decodable {
            var to: [Address]
            var subject: String?
            var dynamic_template_data: [String: String]?
        }

        struct Content: Decodable {
            var type: String
            var value: String
        }

        var personalizations: [Personalization]
        var from: Address?
        var subject: String?
        var content: [Content]?
        var template_id: String?
    }

    private struct SendGridErrors: Encodable {
        struct Detail: Encodable {
            var message: String
            var field: String?
            var help: String?
        }

        var errors: [Detail]
    }

    static func sendGridError(_ status: Int, _ message: String, field: String? = nil, headers: [String: String]) -> Response {
        json(.init(code: status), SendGridErrors(errors: [.init(message: message, field: field, help: nil)]), headers: headers)
    }

    /// Whether the request carries the configured (or, with none configured, any non-empty) API key.
    func sendGridAuthorized(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        let key = header.dropFirst(7)
        return !key.isEmpty && (configuration.messaging.sendGridAPIKey.map { $0 == key } ?? true)
    }

    /// Counts the request in the rate-limit window; its `X-RateLimit-*` headers and whether it may go on.
    func sendGridWindow() -> (headers: [String: String], allowed: Bool) {
        let use = ledger.useWindow(limit: configuration.messaging.sendGridRateLimit, length: configuration.messaging.sendGridRateLimitWindow,
                                   now: Date())
        return (["X-RateLimit-Limit": "\(use.limit)", "X-RateLimit-Remaining": "\(use.remaining)", "X-RateLimit-Reset": "\(use.reset)"],
                use.allowed)
    }

    func sendGridSend(_ request: Request) async throws -> Response {
        let (limits, allowed) = sendGridWindow()
        guard sendGridAuthorized(request) else {
            return Self.sendGridError(401, "The provided authorization grant is invalid, expired, or revoked", headers: limits)
        }
        guard allowed else { return Self.sendGridError(429, "too many requests", headers: limits) }
        let bytes = try await request.body.collect(upTo: 4 << 20)
        guard let mail = try? JSONDecoder().decode(MailRequest.self, from: Data(buffer: bytes)) else {
            return Self.sendGridError(400, "Bad Request: the body is not a mail send request", headers: limits)
        }
        guard let to = mail.personalizations.first?.to.first?.email, !to.isEmpty else {
            return Self.sendGridError(400, "The to array is required for all personalization objects.", field: "personalizations.0.to",
                                      headers: limits)
        }
        guard let from = mail.from?.email, !from.isEmpty else {
            return Self.sendGridError(400, "The from object must be provided for every email send.", field: "from", headers: limits)
        }
        let subject = mail.personalizations.first?.subject ?? mail.subject
        let body = mail.content?.first { $0.type == "text/plain" }?.value ?? mail.content?.first?.value
        if mail.template_id == nil {
            guard let body, !body.isEmpty else { return Self.sendGridError(400, "The content value must be a string.", field: "content", headers: limits) }
            guard subject?.isEmpty == false else {
                return Self.sendGridError(400, "The subject is required. You can get around this requirement if you use a template.",
                                          field: "subject", headers: limits)
            }
        }
        switch try await latencyAndFault() {
        case .rateLimited: return Self.sendGridError(429, "too many requests", headers: limits.merging(["Retry-After": "1"]) { $1 })
        case .unavailable: return Self.sendGridError(503, "service unavailable", headers: limits)
        case nil: break
        }
        if to.hasSuffix("@bounce.test") {
            return Self.sendGridError(400, "The to email does not contain a valid address.", field: "personalizations.0.to.0.email",
                                      headers: limits)
        }
        if to.hasSuffix("@ratelimit.test") {
            let reset = Int(Date().timeIntervalSince1970.rounded(.up)) + 2
            return Self.sendGridError(429, "too many requests", headers: limits.merging(
                ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "\(reset)"]) { $1 })
        }
        if to.hasSuffix("@fail.test") { return Self.sendGridError(503, "service unavailable", headers: limits) }
        let dedupeKey = request.headers[.idempotencyKey]
        let template = mail.template_id.map { Delivery.Template(id: $0, variables: mail.personalizations.first?.dynamic_template_data ?? [:]) }
        let (answer, duplicate) = ledger.deliver(provider: "sendgrid", dedupeKey: dedupeKey) { sequence in
            let id = "SG" + Self.hex32(sequence)
            let delivery = Delivery(provider: "sendgrid", id: id, channel: "email", to: to, from: from, dedupeKey: dedupeKey,
                                    subject: subject, body: template == nil ? body : nil, template: template)
            return (delivery, MockMessagingLedger.Answer(status: 202, body: "", headers: ["X-Message-Id": id]))
        }
        if !duplicate, loseAnswer(ledger.nextCall()) { return Self.sendGridError(503, "service unavailable", headers: limits) }
        return Self.response(.init(code: answer.status), body: answer.body, headers: answer.headers.merging(limits) { $1 })
    }
}

extension HTTPField.Name {
    // A valid constant field name: the unwrap cannot fail.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
