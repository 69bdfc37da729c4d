public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import Runtime

/// A Twilio-compatible SMS and WhatsApp provider over AsyncHTTPClient.
///
/// Sends with `POST {baseURL}/2010-04-01/Accounts/{accountSID}/Messages.json` (Basic auth
/// `accountSID:authToken`, a form body: `To`, `From` and `Body`, or `ContentSid` and
/// `ContentVariables` for a template; WhatsApp addresses carry the `whatsapp:` prefix) and
/// lists templates from the Content API (`TwilioProvider+Templates.swift`).
///
/// Promises:
/// - The message id goes out as `I-Twilio-Idempotency-Token`, so a message resent after a lost
///   answer is delivered once by a provider that honours it.
/// - Failures sort into `MessagingError`: HTTP 429 or code 20429 → `.rateLimited` (with
///   `Retry-After` when sent); 5xx, 408, transport failures and timeouts → `.transient`; every
///   other answer (21211 invalid `To`, 21610 unsubscribed, 21614 not a mobile, 21408, 63016,
///   401 …) → `.permanent`, `code` being Twilio's error code (or the HTTP status without one).
/// - A message it cannot send as is (email, no sender, neither body nor template) fails
///   `.permanent` without a request.
public struct TwilioProvider: MessagingProvider {
    public let id: String
    public var name: String { "Twilio" }
    public var channels: Set<Channel> { [.sms, .whatsapp] }
    let baseURL: String
    let contentBaseURL: String
    let accountSID: String
    let authToken: String
    let smsFrom: String?
    let whatsAppFrom: String?
    let timeout: Duration
    /// Where Twilio posts this provider's status callbacks (our public URL of
    /// `/cpaas/v1/webhooks/twilio/status`); nil sends none.
    let statusCallbackURL: String?
    let templatePageSize: Int
    let clock: any WallClock
    let client: HTTPClient

    /// - Parameters:
    ///   - smsFrom: the sender of SMS whose message names none (an E.164 number).
    ///   - whatsAppFrom: the sender of WhatsApp messages whose message names none (E.164, without `whatsapp:`).
    ///   - templatePageSize: `PageSize` of template listings (1…500).
    ///   - clock: reads `Retry-After` dates.
    public init(id: String = "twilio", baseURL: String = "https://api.twilio.com", contentBaseURL: String = "https://content.twilio.com",
                accountSID: String, authToken: String, smsFrom: String? = nil, whatsAppFrom: String? = nil,
                timeout: Duration = .seconds(30), statusCallbackURL: String? = nil, templatePageSize: Int = 50,
                clock: any WallClock = SystemClock(), client: HTTPClient = .shared) {
        self.statusCallbackURL = statusCallbackURL
        self.id = id
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.contentBaseURL = contentBaseURL.hasSuffix("/") ? String(contentBaseURL.dropLast()) : contentBaseURL
        self.accountSID = accountSID
        self.authToken = authToken
        self.smsFrom = smsFrom
        self.whatsAppFrom = whatsAppFrom
        self.timeout = timeout
        self.templatePageSize = min(max(templatePageSize, 1), 500)
        self.clock = clock
        self.client = client
    }

    var transport: MessagingTransport { MessagingTransport(provider: id, client: client, timeout: timeout) }

    /// `Basic base64(accountSID:authToken)`.
    var authorization: String { "Basic " + Data("\(accountSID):\(authToken)".utf8).base64EncodedString() }

    private struct SentMessage: Decodable {
        var sid: String
        var status: String?
    }

    public func send(_ message: OutgoingMessage) async throws(MessagingError) -> SendReceipt {
        var call = HTTPClientRequest(url: "\(baseURL)/2010-04-01/Accounts/\(FormEncoding.percentEncode(accountSID))/Messages.json")
        call.method = .POST
        call.headers.add(name: "Authorization", value: authorization)
        call.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        call.headers.add(name: "Accept", value: "application/json")
        call.headers.add(name: "I-Twilio-Idempotency-Token", value: message.id)
        call.body = .bytes(ByteBuffer(string: FormEncoding.encode(try formFields(message))))
        let answer = try await transport.exchange(call)
        guard answer.isSuccess else { throw Self.failure(answer, provider: id, now: clock.now()) }
        guard let sent = try? JSONDecoder().decode(SentMessage.self, from: answer.data), !sent.sid.isEmpty else {
            throw MessagingError(.transient, "\(id) answered \(answer.status.code) with a body that is not a message")
        }
        return SendReceipt(providerMessageID: sent.sid, providerStatus: sent.status)
    }

    /// The form fields of `message`: `To`, `From`, then `ContentSid` + `ContentVariables` (a JSON
    /// object, keys sorted) for a template, else `Body`.
    func formFields(_ message: OutgoingMessage) throws(MessagingError) -> [(name: String, value: String)] {
        guard channels.contains(message.channel) else {
            throw MessagingError(.permanent, "\(id) sends sms and whatsapp, not \(message.channel.rawValue)")
        }
        guard let from = message.from ?? (message.channel == .whatsapp ? whatsAppFrom : smsFrom) else {
            throw MessagingError(.permanent, "\(id) has no \(message.channel.rawValue) sender configured and the message names none")
        }
        var fields = [(name: "To", value: address(message.to, message.channel)), (name: "From", value: address(from, message.channel))]
        if let template = message.template {
            fields.append((name: "ContentSid", value: template.providerTemplateID))
            if !template.variables.isEmpty {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                do {
                    fields.append((name: "ContentVariables", value: String(decoding: try encoder.encode(template.variables), as: UTF8.self)))
                } catch {
                    throw MessagingError(.permanent, "the template variables could not be encoded: \(error)")
                }
            }
        } else if let body = message.body {
            fields.append((name: "Body", value: body))
        } else {
            throw MessagingError(.permanent, "a message needs a body or a template")
        }
        // Our id in the callback URL (which Twilio signs), so a report that comes before the
        // send's answer still finds its message.
        if let statusCallbackURL {
            let separator = statusCallbackURL.contains("?") ? "&" : "?"
            fields.append((name: "StatusCallback", value: statusCallbackURL + separator + "m=" + FormEncoding.percentEncode(message.id)))
        }
        return fields
    }

    /// WhatsApp addresses are `whatsapp:+E164`; SMS addresses are bare.
    private func address(_ number: String, _ channel: Channel) -> String {
        channel == .whatsapp && !number.hasPrefix("whatsapp:") ? "whatsapp:" + number : number
    }
}
