import Foundation
import HTTPTypes
import Hummingbird
import Jobs
import Runtime

/// The CPaaS API: `GET /providers`, `POST /messages` (202 `queued`; Idempotency-Key: no second
/// message, ever), `GET /messages`, `GET /messages/{id}`, `GET /templates`, and the internal
/// `POST /_internal/process-outbox` and `POST /_internal/sync-templates`.
struct MessagesController: Sendable {
    let runtime: JobRuntime
    let messaging: MessagingHub
    let messages: Messages
    let body: JSONBody
    /// Drains the outbox when an operator asks (`/_internal/process-outbox`), under one lease owner.
    let relay: OutboxRelay
    let templateSync: TemplateSync

    struct MessageRequest: ClosedJSONBody {
        var channel: String
        var to: String
        var from: String?
        var subject: String?
        var body: String?
        var templateId: String?
        var variables: [String: String]?
        var sendAt: String?
        var sendWindow: SendWindow?
        var fallback: [Fallback]?
        var fallbackAfterSeconds: Int?

        struct SendWindow: Decodable {
            var start: String
            var end: String
            var timezone: String
        }

        struct Fallback: Decodable {
            var channel: String
            var to: String?
            var subject: String?
            var templateId: String?
            var variables: [String: String]?
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case channel, to, from, subject, body, templateId, variables, sendAt, sendWindow, fallback, fallbackAfterSeconds
        }
        // The optional fields a message shows as null may be sent as null.
        static let schema = BodySchema(fields: [
            "": .init(CodingKeys.self, nullable: ["from", "subject", "body", "templateId", "variables", "sendAt", "sendWindow", "fallback",
                                                  "fallbackAfterSeconds"]),
            "sendWindow": .init(keys: ["start", "end", "timezone"]),
            "fallback[]": .init(keys: ["channel", "to", "subject", "templateId", "variables"], nullable: ["to", "subject", "templateId", "variables"]),
        ])
    }

    func addRoutes(to group: RouterGroup<TenantRequestContext>, _ table: inout RouteTable) {
        let idempotent = group.group().add(middleware: IdempotencyMiddleware(store: runtime.idempotency, body: body))
        table.get(HTTPFront.cpaasPrefix + "/providers", on: group) { _, context in
            let caller = context.principal
            return try EnvelopeResponse.success(messaging.statuses(tenant: caller.tenant).map(ProviderView.init), context: context)
        }
        table.post(HTTPFront.cpaasPrefix + "/messages", on: idempotent) { request, context in
            try await sendMessage(request, context)
        }
        table.get(HTTPFront.cpaasPrefix + "/messages", on: group) { request, context in
            let caller = context.principal
            let paging = try Paging(request, list: "messages")
            var status: MessageStatus?
            if let text = request.uri.queryParameters["status"], !text.isEmpty {
                guard let parsed = MessageStatus(rawValue: String(text)) else {
                    throw APIError.invalid("status", "status must be one of \(MessageStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                status = parsed
            }
            let rows = try await messages.messages(tenant: caller.tenant, status: status, before: paging.before, limit: paging.limit + 1)
            return try EnvelopeResponse.list(paging.page(rows, list: "messages", id: \.sequence, show: { MessageView($0) }), context: context)
        }
        table.get(HTTPFront.cpaasPrefix + "/messages/{id}", on: group) { _, context in
            let caller = context.principal
            guard let id = context.parameters.get("id"), id.hasPrefix("msg_"), id.utf8.count <= 64,
                  let message = try await messages.message(id, tenant: caller.tenant) else { throw Self.messageNotFound }
            return try EnvelopeResponse.success(MessageView(message), context: context)
        }
        table.get(HTTPFront.cpaasPrefix + "/templates", on: group) { request, context in
            let caller = context.principal
            let paging = try Paging(request, list: "templates")
            let query = request.uri.queryParameters
            var channel: Channel?
            if let text = query["channel"], !text.isEmpty {
                guard let parsed = Channel(rawValue: String(text)) else { throw APIError.invalid("channel", "channel must be sms, email or whatsapp") }
                channel = parsed
            }
            let includeRemoved: Bool
            switch query["includeRemoved"] {
            case nil, "false": includeRemoved = false
            case "true": includeRemoved = true
            default: throw APIError.invalid("includeRemoved", "includeRemoved must be true or false")
            }
            let rows = try await messages.templates(tenant: caller.tenant, channel: channel, includeRemoved: includeRemoved, after: paging.before, limit: paging.limit + 1)
            return try EnvelopeResponse.list(paging.page(rows, list: "templates", id: \.id, show: TemplateView.init), context: context)
        }
    }

    func addInternalRoutes(to group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        table.post(HTTPFront.cpaasPrefix + "/_internal/process-outbox", on: group) { _, context in
            let report = try await relay.drain()
            return try EnvelopeResponse.success(
                ["processed": report.processed, "sent": report.sent, "failed": report.failed, "retried": report.retried,
                 "remaining": report.remaining], context: context)
        }
        table.post(HTTPFront.cpaasPrefix + "/_internal/sync-templates", on: group) { _, context in
            let report = try await templateSync.sync()
            return try EnvelopeResponse.success(SyncView(report), context: context)
        }
    }

    static let messageNotFound = APIError.notFound("no message with this id")

    private func sendMessage(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let caller = context.principal
        let input = try await body.decode(MessageRequest.self, from: request)
        guard let channel = Channel(rawValue: input.channel) else { throw APIError.invalid("channel", "channel must be sms, email or whatsapp") }
        var templateID: Int64?
        if let text = input.templateId {
            guard let id = Int64(text), id > 0 else { throw APIError.invalid("templateId", "templateId must be a template's id from GET /templates") }
            templateID = id
        }
        var sendAt: Date?
        if let text = input.sendAt {
            guard let date = Self.parseTime(text) else {
                throw APIError.invalid("sendAt", "sendAt must be an ISO 8601 time with a zone, e.g. 2026-11-23T14:00:00Z")
            }
            sendAt = date
        }
        var window: DailyWindow?
        if let sent = input.sendWindow {
            do { window = try DailyWindow(start: sent.start, end: sent.end, timeZone: sent.timezone) } catch {
                throw APIError.invalid("sendWindow." + error.field, error.message)
            }
        }
        var fallback: [FallbackStep] = []
        for (index, step) in (input.fallback ?? []).enumerated() {
            let field = "fallback[\(index)]"
            guard let channel = Channel(rawValue: step.channel) else { throw APIError.invalid(field + ".channel", "channel must be sms, email or whatsapp") }
            var templateID: Int64?
            if let text = step.templateId {
                guard let id = Int64(text), id > 0 else { throw APIError.invalid(field + ".templateId", "templateId must be a template's id from GET /templates") }
                templateID = id
            }
            fallback.append(FallbackStep(channel: channel, to: step.to, subject: step.subject, templateID: templateID, variables: step.variables))
        }
        if input.fallbackAfterSeconds != nil, fallback.isEmpty {
            throw APIError.invalid("fallbackAfterSeconds", "fallbackAfterSeconds goes with fallback")
        }
        let message = Messages.Request(channel: channel, to: input.to, from: input.from, subject: input.subject, body: input.body,
                                       templateID: templateID, variables: input.variables, sendAt: sendAt, sendWindow: window,
                                       fallback: fallback, fallbackAfter: input.fallbackAfterSeconds.map { .seconds($0) })
        let accepted: (message: MessageRecord, replayed: Bool)
        do {
            accepted = try await messages.accept(message, tenant: caller.tenant, idempotencyKey: IdempotencyScope.key(of: request, caller: caller))
        } catch let error as Messages.Invalid {
            throw APIError.invalid(error.field, error.message)
        } catch let error as Messages.Suppressed {
            throw APIError(.unprocessableContent, "recipient_suppressed",
                           "\(error.address.prefix(100)) opted out of \(error.channel.rawValue) from this tenant; nothing was sent or charged",
                           details: ["field": "to"])
        } catch let error as Messages.NoProvider {
            throw APIError.unavailable("no provider sends \(error.channel.rawValue) messages")
        }
        var response = try EnvelopeResponse.success(MessageView(accepted.message), status: .accepted, context: context)
        if accepted.replayed { response.headers[.idempotencyReplayed] = "true" }
        return response
    }

    static func parseTime(_ text: String) -> Date? {
        guard text.utf8.count <= 40 else { return nil }
        return (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}

/// A message as the API shows it.
struct MessageView: Encodable {
    struct Event: Encodable {
        var status: String
        @Nullable var detail: String?
        var at: Date
    }

    var id: String
    var channel: String
    var to: String
    var from: String
    @Nullable var subject: String?
    @Nullable var body: String?
    @Nullable var templateId: String?
    @Nullable var variables: [String: String]?
    var status: String
    var provider: String
    @Nullable var providerMessageId: String?
    @Nullable var error: [String: String]?
    var attempts: Int
    var segments: Int
    var priceUsd: String
    @Nullable var sendAt: Date?
    var createdAt: Date
    var updatedAt: Date
    /// Channel fallback: the attempt this one follows, and the one sent after it.
    @Nullable var previousAttemptId: String?
    @Nullable var nextAttemptId: String?
    var history: [Event]

    init(_ message: MessageRecord) {
        id = message.id
        channel = message.channel.rawValue
        to = message.to
        from = message.from
        subject = message.subject
        body = message.body
        templateId = message.templateID.map(String.init)
        variables = message.variables
        status = message.status.rawValue
        provider = message.provider
        providerMessageId = message.providerMessageID
        if message.errorCode != nil || message.errorMessage != nil {
            error = ["code": message.errorCode ?? "", "message": message.errorMessage ?? ""]
        }
        attempts = message.attempts
        segments = message.segments
        priceUsd = MicroUSD(message.priceMicroUSD).usdString
        sendAt = message.sendAt
        createdAt = message.createdAt
        updatedAt = message.updatedAt
        previousAttemptId = message.previousID
        nextAttemptId = message.nextID
        history = message.events.map { Event(status: $0.status.rawValue, detail: $0.detail, at: $0.at) }
    }
}

/// A synced template as the API shows it.
struct TemplateView: Encodable {
    var id: String
    var provider: String
    var providerTemplateId: String
    var channel: String
    var name: String
    var language: String
    @Nullable var category: String?
    var status: String
    var variables: [String]
    @Nullable var body: String?
    var syncedAt: Date

    init(_ template: TemplateRecord) {
        id = String(template.id)
        provider = template.provider
        providerTemplateId = template.providerTemplateID
        channel = template.channel.rawValue
        name = template.name
        language = template.language
        category = template.category
        status = template.status
        variables = template.variables
        body = template.body
        syncedAt = template.syncedAt
    }
}

/// A messaging provider as `GET /providers` shows it: the contract's `id, channel, name, state,
/// limits`, plus every channel it sends (`channel` is the first of them). Every limit key is
/// present; `null` means no limit is configured.
struct ProviderView: Encodable {
    struct Limits: Encodable {
        @Nullable var requestsPerMinute: Int?
    }

    var id: String
    var name: String
    @Nullable var channel: String?
    var channels: [String]
    var state: String
    var limits: Limits

    init(_ status: ProviderStatus) {
        id = status.id
        name = status.name
        channel = status.channels.first
        channels = status.channels
        state = status.state.rawValue
        limits = Limits(requestsPerMinute: status.requestsPerMinute)
    }
}

struct SyncView: Encodable {
    var created: Int
    var updated: Int
    var removed: Int
    var failures: [String: String]

    init(_ report: TemplateSync.Report) {
        created = report.created
        updated = report.updated
        removed = report.removed
        failures = report.failures
    }
}
