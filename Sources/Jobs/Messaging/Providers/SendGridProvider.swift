public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import Runtime

/// A SendGrid-compatible email provider over AsyncHTTPClient.
///
/// Sends with `POST {baseURL}/v3/mail/send` (Bearer `apiKey`): one personalization to the
/// recipient, plain-text content and a subject, or a dynamic template (`template_id` with
/// `dynamic_template_data`); the message id goes out as `custom_args.switchboard_message_id`
/// (so events can be matched back) and as `Idempotency-Key` (for compatible providers and the
/// mock that dedupe on it; SendGrid itself does not). Lists dynamic templates from
/// `GET /v3/templates` (`SendGridProvider+Templates.swift`).
///
/// Promises:
/// - 202 is a `SendReceipt` with the `X-Message-Id` header as the provider's id (the message id
///   when the header is missing: the message was accepted all the same) and no status.
/// - 429 → `.rateLimited`, waiting `Retry-After`, else until `X-RateLimit-Reset` (epoch
///   seconds); 5xx, 408, transport failures and timeouts → `.transient`; other answers →
///   `.permanent` with the HTTP status as `code` and the first `errors[].message`.
/// - With a `limiter`, every answer that says `X-RateLimit-Remaining: 0` pauses `limiterKey`
///   until `X-RateLimit-Reset`, and a 429 pauses it for its wait, so the relay stops before the
///   provider refuses.
/// - A message it cannot send as is (not email, no sender, no subject or body without a
///   template) fails `.permanent` without a request.
public struct SendGridProvider: MessagingProvider {
    public let id: String
    public var name: String { "SendGrid" }
    public var channels: Set<Channel> { [.email] }
    let baseURL: String
    let apiKey: String
    let from: String?
    let timeout: Duration
    /// The public key (PEM, or base64 DER as SendGrid shows it) that signs this account's Event
    /// Webhook; nil accepts no events.
    let eventWebhookPublicKey: String?
    let templatePageSize: Int
    let limiter: RateLimiter?
    let limiterKey: String
    let clock: any WallClock
    let client: HTTPClient

    /// - Parameters:
    ///   - from: the sender of messages that name none.
    ///   - templatePageSize: `page_size` of template listings (1…200).
    ///   - limiter: fed with the provider's rate-limit headers; `limiterKey` defaults to `messaging:<id>`.
    ///   - clock: turns `X-RateLimit-Reset` and `Retry-After` into waits.
    public init(id: String = "sendgrid", baseURL: String = "https://api.sendgrid.com", apiKey: String, from: String? = nil,
                timeout: Duration = .seconds(30), eventWebhookPublicKey: String? = nil, templatePageSize: Int = 50,
                limiter: RateLimiter? = nil, limiterKey: String? = nil, clock: any WallClock = SystemClock(), client: HTTPClient = .shared) {
        self.eventWebhookPublicKey = eventWebhookPublicKey
        self.id = id
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.from = from
        self.timeout = timeout
        self.templatePageSize = min(max(templatePageSize, 1), 200)
        self.limiter = limiter
        self.limiterKey = limiterKey ?? "messaging:\(id)"
        self.clock = clock
        self.client = client
    }

    var transport: MessagingTransport { MessagingTransport(provider: id, client: client, timeout: timeout) }

    struct MailBody: Encodable {
        struct Address: Encodable { var email: String }
        struct Personalization: Encodable {
            var to: [Address]
            var dynamic_template_data: [String: String]?
        }

        struct Content: Encodable {
            var type: String
            var value: String
        }

        var personalizations: [Personalization]
        var from: Address
        var subject: String?
        var content: [Content]?
        var template_id: String?
        var custom_args: [String: String]
    }

    public func send(_ message: OutgoingMessage) async throws(MessagingError) -> SendReceipt {
        var call = HTTPClientRequest(url: "\(baseURL)/v3/mail/send")
        call.method = .POST
        call.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        call.headers.add(name: "Content-Type", value: "application/json")
        call.headers.add(name: "Idempotency-Key", value: message.id)
        let mail = try mailBody(message)
        do {
            call.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(mail)))
        } catch {
            throw MessagingError(.permanent, "the message could not be encoded: \(error)")
        }
        let answer = try await transport.exchange(call)
        observeLimits(answer)
        guard answer.isSuccess else { throw failure(answer) }
        return SendReceipt(providerMessageID: answer.headers.first(name: "X-Message-Id") ?? message.id, providerStatus: nil)
    }

    func mailBody(_ message: OutgoingMessage) throws(MessagingError) -> MailBody {
        guard message.channel == .email else { throw MessagingError(.permanent, "\(id) sends email, not \(message.channel.rawValue)") }
        guard let sender = message.from ?? from else {
            throw MessagingError(.permanent, "\(id) has no sender configured and the message names none")
        }
        var mail = MailBody(personalizations: [.init(to: [.init(email: message.to)])], from: .init(email: sender),
                            subject: message.subject, custom_args: ["switchboard_message_id": message.id])
        if let template = message.template {
            mail.template_id = template.providerTemplateID
            mail.personalizations[0].dynamic_template_data = template.variables
        } else {
            guard let body = message.body, let subject = message.subject, !subject.isEmpty else {
                throw MessagingError(.permanent, "an email without a template needs a subject and a body")
            }
            mail.subject = subject
            mail.content = [.init(type: "text/plain", value: body)]
        }
        return mail
    }
}
