import Foundation
import Hummingbird
import HTTPTypes

/// Twilio's Programmable Messaging `POST /2010-04-01/Accounts/{sid}/Messages.json`: a form body,
/// Basic auth for the account in the path, Twilio's error shapes and the magic `To` numbers
/// (`+15005550001` → 21211, `+15005550009` → 21614, `+15005550006` → 21610, `+15005550429` →
/// 429/20429 with `Retry-After: 1`, `+15005550503` → 503). `I-Twilio-Idempotency-Token`
/// dedupes: the same token gets the first answer and delivers nothing more.
extension MockProvider {
    private struct TwilioForm: Decodable {
        var To: String?
        var From: String?
        var Body: String?
        var ContentSid: String?
        var ContentVariables: String?
        var StatusCallback: String?
    }

    private struct TwilioMessage: Encodable {
        var sid: String
        var account_sid: String
        var status = "queued"
        var to: String
        var from: String
        var body: String?
        var direction = "outbound-api"
        var api_version = "2010-04-01"
        var error_code: Int?
    }

    private struct TwilioErrorBody: Encodable {
        var code: Int
        var message: String
        var more_info: String
        var status: Int
    }

    // A valid constant field name: the unwrap cannot fail.
    static let twilioIdempotencyToken = HTTPField.Name("I-Twilio-Idempotency-Token")!

    static func twilioError(_ status: Int, code: Int, _ message: String, headers: [String: String] = [:]) -> Response {
        json(.init(code: status), TwilioErrorBody(code: code, message: message, more_info: "https://www.twilio.com/docs/errors/\(code)",
                                                  status: status), headers: headers)
    }

    /// The account SID of the request's Basic credentials when their token is the configured
    /// one (or, with none configured, not empty); nil otherwise.
    func twilioAccount(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix("Basic "),
              let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
              let colon = decoded.firstIndex(of: ":") else { return nil }
        let user = String(decoded[..<colon]), token = String(decoded[decoded.index(after: colon)...])
        guard !user.isEmpty, !token.isEmpty, configuration.messaging.twilioAuthToken.map({ $0 == token }) ?? true else { return nil }
        return user
    }

    func twilioSend(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let account = context.parameters.get("sid") ?? ""
        guard twilioAccount(request) == account else { return Self.twilioError(401, code: 20003, "Authenticate") }
        let bytes = try await request.body.collect(upTo: 1 << 20)
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true,
              let form = try? URLEncodedFormDecoder().decode(TwilioForm.self, from: String(buffer: bytes)) else {
            return Self.twilioError(400, code: 20001, "the body is not an application/x-www-form-urlencoded form")
        }
        guard let to = form.To, !to.isEmpty else { return Self.twilioError(400, code: 21604, "A 'To' phone number is required.") }
        guard let from = form.From, !from.isEmpty else { return Self.twilioError(400, code: 21603, "A 'From' phone number is required.") }
        var template: Delivery.Template?
        if let sid = form.ContentSid {
            guard TwilioCatalog.contains(sid, count: configuration.messaging.twilioTemplates) else {
                return Self.twilioError(400, code: 21655, "The ContentSid is Invalid.")
            }
            let variables = form.ContentVariables.map { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
            guard let variables else { return Self.twilioError(400, code: 21656, "The ContentVariables Parameter is invalid.") }
            template = .init(id: sid, variables: variables)
        } else if form.Body?.isEmpty ?? true {
            return Self.twilioError(400, code: 21602, "Message body is required.")
        }
        switch try await latencyAndFault() {
        case .rateLimited: return Self.twilioError(429, code: 20429, "Too Many Requests", headers: ["Retry-After": "1"])
        case .unavailable: return Self.twilioError(503, code: 20503, "Service Unavailable")
        case nil: break
        }
        let number = to.hasPrefix("whatsapp:") ? String(to.dropFirst(9)) : to
        switch number {
        case "+15005550001": return Self.twilioError(400, code: 21211, "The 'To' number \(number) is not a valid phone number.")
        case "+15005550009": return Self.twilioError(400, code: 21614, "'To' number is not a valid mobile number")
        case "+15005550006": return Self.twilioError(400, code: 21610, "Attempt to send to unsubscribed recipient")
        case "+15005550429": return Self.twilioError(429, code: 20429, "Too Many Requests", headers: ["Retry-After": "1"])
        case "+15005550503": return Self.twilioError(503, code: 20503, "Service Unavailable")
        default: break
        }
        let dedupeKey = request.headers[Self.twilioIdempotencyToken]
        var callbacks: [[(name: String, value: String)]] = []
        let (answer, duplicate) = ledger.deliver(provider: "twilio", dedupeKey: dedupeKey) { sequence in
            let sid = "SM" + Self.hex32(sequence)
            if let url = form.StatusCallback { callbacks = twilioCallbacks(url: url, account: account, sid: sid, to: to, sequence: sequence) }
            let reported = callbacks.isEmpty ? nil : (to.hasSuffix("+15005550010") ? "undelivered" : "delivered")
            let delivery = Delivery(provider: "twilio", id: sid, channel: to.hasPrefix("whatsapp:") ? "whatsapp" : "sms", to: to, from: from,
                                    dedupeKey: dedupeKey, subject: nil, body: template == nil ? form.Body : nil, template: template,
                                    reported: reported)
            let body = Self.jsonText(TwilioMessage(sid: sid, account_sid: account, to: to, from: from, body: delivery.body))
            return (delivery, MockMessagingLedger.Answer(status: 201, body: body, headers: [:]))
        }
        if let url = form.StatusCallback { postTwilioCallbacks(callbacks, to: url) }
        if !duplicate, loseAnswer(ledger.nextCall()) { return Self.twilioError(503, code: 20503, "Service Unavailable") }
        return Self.response(.init(code: answer.status), body: answer.body)
    }

    /// `GET /2010-04-01/Accounts/{sid}/Messages/{MessageSid}.json`: a message it delivered is
    /// `delivered`, or `undelivered` (30003) for the test number `+15005550010`; others are 404 (20404).
    func twilioMessage(_ request: Request, context: BasicRequestContext) -> Response {
        let account = context.parameters.get("sid") ?? ""
        guard twilioAccount(request) == account else { return Self.twilioError(401, code: 20003, "Authenticate") }
        let id = (context.parameters.get("message") ?? "").replacingOccurrences(of: ".json", with: "")
        guard let delivery = ledger.delivery(id: id), delivery.provider == "twilio" else {
            return Self.twilioError(404, code: 20404, "The requested resource was not found")
        }
        let undelivered = delivery.to.hasSuffix("+15005550010")
        var message = TwilioMessage(sid: id, account_sid: account, to: delivery.to, from: delivery.from, body: delivery.body)
        message.status = undelivered ? "undelivered" : "delivered"
        message.error_code = undelivered ? 30003 : nil
        return Self.response(.ok, body: Self.jsonText(message))
    }

    /// 32 hex digits of `n`, as in Twilio's SIDs.
    static func hex32(_ n: Int) -> String {
        let hex = String(UInt64(truncatingIfNeeded: n), radix: 16)
        return String(repeating: "0", count: 32 - hex.count) + hex
    }
}
