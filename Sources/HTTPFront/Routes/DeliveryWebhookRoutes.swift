import Foundation
import HTTPTypes
import Hummingbird
import Jobs
import NIOCore

/// `POST /cpaas/v1/webhooks/twilio/status`: Twilio's status callbacks. Authenticated by their
/// `X-Twilio-Signature` alone (keyed by the auth token of the account in `AccountSid`): a bad
/// or missing one is 403 and changes nothing. A verified report is stored once in the delivery
/// inbox with the job that applies it, then answered 200; a repeat is 200 and changes nothing.
extension HTTPFront {
    static let twilioStatusPath = cpaasPrefix + "/webhooks/twilio/status"
    static let twilioSignature = HTTPField.Name("X-Twilio-Signature")!

    func addDeliveryWebhookRoutes(_ group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        table.post(Self.twilioStatusPath, on: group) { request, context in try await twilioStatus(request, context) }
    }

    private func twilioStatus(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let media = request.headers[.contentType]?.split(separator: ";", maxSplits: 1).first.map { $0.trimmedOfSpaces.lowercased() }
        guard media == "application/x-www-form-urlencoded" else {
            throw APIError.unsupportedMediaType("Content-Type must be application/x-www-form-urlencoded")
        }
        let bytes = try await body.bytes(request)
        guard let fields = FormEncoding.decode(String(buffer: bytes)) else { throw APIError.invalidRequest("the form body is malformed") }
        let value = { (name: String) in fields.first { $0.name == name }?.value }
        guard let signature = request.headers[Self.twilioSignature], let sid = value("AccountSid"),
              let account = messaging.twilioAccounts[sid],
              TwilioSignature.isValid(signature, url: publicURL(of: request), fields: fields, authToken: account.authToken) else {
            throw APIError.forbidden("the X-Twilio-Signature is missing or wrong")
        }
        guard let messageSid = value("MessageSid") ?? value("SmsSid"), !messageSid.isEmpty,
              let status = value("MessageStatus") ?? value("SmsStatus"), !status.isEmpty else {
            throw APIError.invalidRequest("a status callback needs MessageSid and MessageStatus")
        }
        let report = DeliveryReport(provider: account.provider, messageID: request.uri.queryParameters["m"].map(String.init),
                                    providerMessageID: messageSid, providerStatus: status,
                                    errorCode: value("ErrorCode").flatMap { $0.isEmpty ? nil : $0 })
        let recorded = try await DeliveryInbox.record([report], runtime: runtime)
        return try EnvelopeResponse.success(["recorded": recorded == 1], context: context)
    }

    /// The URL the provider called: the configured public base URL (or this request's Host) and
    /// the path and query as sent.
    private func publicURL(of request: Request) -> String {
        let base = configuration.publicBaseURL ?? "http://" + (request.head.authority ?? "")
        return base + request.uri.string
    }
}
