import Foundation
import HTTPTypes
import Hummingbird
import Runtime
import Jobs
import NIOCore

/// `POST /cpaas/v1/webhooks/twilio/status`: Twilio's status callbacks. Authenticated by their
/// `X-Twilio-Signature` alone (keyed by the auth token of the account in `AccountSid`): a bad
/// or missing one is 403 and changes nothing. A verified report is stored once in the delivery
/// inbox with the job that applies it, then answered 200; a repeat is 200 and changes nothing.
struct TwilioWebhooksController: Sendable {
    let runtime: JobRuntime
    let messaging: MessagingHub
    let body: JSONBody
    let publicBaseURL: String?

    static let twilioStatusPath = HTTPFront.cpaasPrefix + "/webhooks/twilio/status"
    static let twilioSignature = HTTPField.Name("X-Twilio-Signature")!

    static let twilioInboundPath = HTTPFront.cpaasPrefix + "/webhooks/twilio/inbound"

    func addRoutes(to group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        table.post(Self.twilioStatusPath, on: group) { request, context in try await twilioStatus(request, context) }
        table.post(Self.twilioInboundPath, on: group) { request, context in try await twilioInbound(request, context) }
    }

    /// The form fields of a Twilio webhook whose signature holds, and the account's provider id.
    private func verifiedTwilioForm(_ request: Request) async throws -> (fields: [(name: String, value: String)], provider: String) {
        let media = request.headers[.contentType]?.split(separator: ";", maxSplits: 1).first.map { $0.trimmedOfSpaces.lowercased() }
        guard media == "application/x-www-form-urlencoded" else {
            throw APIError.unsupportedMediaType("Content-Type must be application/x-www-form-urlencoded")
        }
        let bytes = try await body.bytes(request)
        guard let fields = FormEncoding.decode(String(buffer: bytes)) else { throw APIError.invalidRequest("the form body is malformed") }
        guard let signature = request.headers[Self.twilioSignature], let sid = fields.first(where: { $0.name == "AccountSid" })?.value,
              let account = messaging.twilioAccounts[sid],
              TwilioSignature.isValid(signature, url: publicURL(of: request), fields: fields, authToken: account.authToken) else {
            throw APIError.forbidden("the X-Twilio-Signature is missing or wrong")
        }
        return (fields, account.provider)
    }

    /// An inbound SMS or WhatsApp: STOP-family words opt the sender out of every tenant that
    /// sent to them from that number, START-family words back in; other text is acknowledged.
    private func twilioInbound(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (fields, _) = try await verifiedTwilioForm(request)
        let value = { (name: String) in fields.first { $0.name == name }?.value }
        guard let from = value("From"), let to = value("To") else { throw APIError.invalidRequest("an inbound message needs From and To") }
        let channel: Jobs.Channel = from.lowercased().hasPrefix("whatsapp:") ? .whatsapp : .sms
        let applied = try await Suppressions(backend: runtime.backend)
            .applyReply(from: from, to: to, body: value("Body") ?? "", channel: channel, now: runtime.clock.now())
        return try EnvelopeResponse.success(["subscription": applied.map { $0.optedOut ? "opted_out" : "opted_in" } ?? "unchanged"], context: context)
    }

    private func twilioStatus(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (fields, provider) = try await verifiedTwilioForm(request)
        let value = { (name: String) in fields.first { $0.name == name }?.value }
        guard let messageSid = value("MessageSid") ?? value("SmsSid"), !messageSid.isEmpty,
              let status = value("MessageStatus") ?? value("SmsStatus"), !status.isEmpty else {
            throw APIError.invalidRequest("a status callback needs MessageSid and MessageStatus")
        }
        let report = DeliveryReport(provider: provider, messageID: request.uri.queryParameters["m"].map(String.init),
                                    providerMessageID: messageSid, providerStatus: status,
                                    errorCode: value("ErrorCode").flatMap { $0.isEmpty ? nil : $0 })
        let recorded = try await DeliveryInbox.record([report], runtime: runtime)
        return try EnvelopeResponse.success(["recorded": recorded == 1], context: context)
    }

    /// The URL the provider called: the configured public base URL (or this request's Host) and
    /// the path and query as sent.
    private func publicURL(of request: Request) -> String {
        let base = publicBaseURL ?? "http://" + (request.head.authority ?? "")
        return base + request.uri.string
    }
}
