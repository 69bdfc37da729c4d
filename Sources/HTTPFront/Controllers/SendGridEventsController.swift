import Foundation
import HTTPTypes
import Hummingbird
import Runtime
import Jobs
import NIOCore

/// `POST /cpaas/v1/webhooks/sendgrid/events`: SendGrid's Event Webhook (a JSON array of events),
/// authenticated by its ECDSA signature alone (`SendGridEventSignature`, with the verification
/// key of a configured SendGrid account): a bad, missing or stale one is 403 and changes nothing.
/// Events are stored once each (by `sg_event_id`) with the jobs that apply them; they find their
/// message by `switchboard_message_id`, the custom arg every send carries.
struct SendGridEventsController: Sendable {
    let runtime: JobRuntime
    let messaging: MessagingHub
    let body: JSONBody

    static let sendGridEventsPath = HTTPFront.cpaasPrefix + "/webhooks/sendgrid/events"
    static let sendGridSignature = HTTPField.Name("X-Twilio-Email-Event-Webhook-Signature")!
    static let sendGridTimestamp = HTTPField.Name("X-Twilio-Email-Event-Webhook-Timestamp")!
    /// The most events one request may carry (SendGrid batches up to about a thousand).
    static let maxSendGridEvents = 10_000

    /// One event, with only the fields used (SendGrid adds others).
    struct SendGridEvent: Decodable {
        var event: String?
        var sg_event_id: String?
        var sg_message_id: String?
        var switchboard_message_id: String?
        var status: String?
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        let signers = messaging.sendGridEventKeys.compactMap { SendGridEventSignature(provider: $0.provider, publicKey: $0.publicKey) }
        table.post(Self.sendGridEventsPath, on: group) { request, context in
            try await sendGridEvents(request, context, signers: signers)
        }
    }

    private func sendGridEvents(_ request: Request, _ context: AppRequestContext, signers: [SendGridEventSignature]) async throws -> Response {
        let data = Data(buffer: try await body.bytes(request))
        let now = runtime.clock.now()
        guard let signature = request.headers[Self.sendGridSignature], let timestamp = request.headers[Self.sendGridTimestamp],
              let signer = signers.first(where: { $0.isValid(signature, timestamp: timestamp, body: data, now: now) }) else {
            throw APIError.forbidden("the event webhook signature is missing, wrong or older than 5 minutes")
        }
        let events: [SendGridEvent]
        do { events = try JSONBody.decoder.decode([SendGridEvent].self, from: data) } catch {
            throw APIError.invalidRequest("the body must be a JSON array of events")
        }
        guard events.count <= Self.maxSendGridEvents else {
            throw APIError.invalidRequest("at most \(Self.maxSendGridEvents) events per request")
        }
        let reports = events.compactMap { event -> DeliveryReport? in
            guard let kind = event.event, let id = event.sg_event_id, !id.isEmpty, id.utf8.count <= 200 else { return nil }
            return DeliveryReport(provider: signer.provider, messageID: event.switchboard_message_id,
                                  providerMessageID: event.sg_message_id.map { String($0.prefix { $0 != "." }) } ?? "",
                                  providerStatus: kind, errorCode: event.status, eventID: id)
        }
        let recorded = reports.isEmpty ? 0 : try await DeliveryInbox.record(reports, runtime: runtime)
        return try EnvelopeResponse.success(["recorded": recorded], context: context)
    }
}
