public import Foundation
public import Runtime

/// Accepting and reading messages. `accept` validates the message (addresses, body or template
/// and its variables, `sendAt`), prices it, holds the price on the tenant's team wallet (a
/// durable hold, settled when it is sent, released if it fails), and writes the message with
/// its outbox row in one commit before answering; the relay sends it. With an Idempotency-Key
/// no second message is ever made for the key.
public struct Messages: Sendable {
    /// What a client asks to send.
    public struct Request: Sendable, Equatable {
        public var channel: Channel
        public var to: String
        public var from: String?
        public var subject: String?
        public var body: String?
        public var templateID: Int64?
        public var variables: [String: String]?
        public var sendAt: Date?
        /// Quiet hours in the recipient's zone: a send outside the window waits for its start.
        public var sendWindow: DailyWindow?
        /// The channels to try next, in order, if this one ends `failed` or `undelivered` or has no
        /// delivery report within `fallbackAfter` of being sent (default 15 minutes).
        public var fallback: [FallbackStep]
        public var fallbackAfter: Duration?
        /// Set by `MessageFallbacks`: the attempt this message follows.
        var previousID: String?

        public init(channel: Channel, to: String, from: String? = nil, subject: String? = nil, body: String? = nil,
                    templateID: Int64? = nil, variables: [String: String]? = nil, sendAt: Date? = nil, sendWindow: DailyWindow? = nil,
                    fallback: [FallbackStep] = [], fallbackAfter: Duration? = nil) {
            self.sendWindow = sendWindow
            self.fallback = fallback
            self.fallbackAfter = fallbackAfter
            self.channel = channel
            self.to = to
            self.from = from
            self.subject = subject
            self.body = body
            self.templateID = templateID
            self.variables = variables
            self.sendAt = sendAt
        }

        init(channel: Channel, to: String, subject: String?, body: String?, templateID: Int64?, variables: [String: String]?,
             fallback: [FallbackStep], fallbackAfter: Duration?, previousID: String) {
            self.init(channel: channel, to: to, subject: subject, body: body, templateID: templateID, variables: variables,
                      fallback: fallback, fallbackAfter: fallbackAfter)
            self.previousID = previousID
        }
    }

    /// A message refused for its content: the field at fault and why (a 400 for the API).
    public struct Invalid: Error, Sendable, Equatable {
        public let field: String
        public let message: String
    }

    /// The recipient is on the tenant's suppression list for the channel (a 422 for the API).
    public struct Suppressed: Error, Sendable, Equatable {
        public let channel: Channel
        public let address: String
    }

    /// No provider sends the channel (a 503 for the API).
    public struct NoProvider: Error, Sendable, Equatable {
        public let channel: Channel
    }

    static let maxBodyCharacters: [Channel: Int] = [.sms: 1_600, .whatsapp: 4_096, .email: 200_000]
    static let maxVariableBytes = 1_024

    let hub: MessagingHub
    let store: MessageStore
    let templates: TemplateStore
    let wallets: Wallets
    let suppressions: Suppressions

    public init(hub: MessagingHub, backend: any Backend, wallets: Wallets) {
        self.hub = hub
        suppressions = Suppressions(backend: backend)
        store = MessageStore(backend: backend)
        templates = TemplateStore(backend: backend)
        self.wallets = wallets
    }

    /// Accepts a message (`queued`), or returns the one made earlier with `idempotencyKey` (`replayed`).
    public func accept(_ request: Request, tenant: String, idempotencyKey: String?) async throws -> (message: MessageRecord, replayed: Bool) {
        if let idempotencyKey, let existing = try await store.message(tenant: tenant, idempotencyKey: idempotencyKey) {
            return (existing, true)
        }
        guard let provider = hub.provider(for: request.channel, tenant: tenant) else { throw NoProvider(channel: request.channel) }
        let senders = hub.configuration.tenants[tenant]?.senders[request.channel] ?? []
        if let from = request.from, !senders.isEmpty, !senders.contains(from) {
            throw Invalid(field: "from", message: "from must be one of this tenant's \(request.channel.rawValue) senders: \(senders.joined(separator: ", "))")
        }
        let (text, template) = try await validate(request, provider: provider.id)
        let fallback = try await validateFallback(request, text: text, tenant: tenant)
        // Before anything is held or charged.
        if try await suppressions.isSuppressed(tenant: tenant, channel: request.channel, address: request.to) {
            throw Suppressed(channel: request.channel, address: request.to)
        }
        let segments = request.channel == .sms ? MessageSegments.count(text) : 1
        guard let price = hub.configuration.price(request.channel, segments: segments) else {
            throw Invalid(field: "channel", message: "\(request.channel.rawValue) has no price configured")
        }
        // Quiet hours: the message's own window, else the tenant's; a send outside it waits.
        var sendAt = request.sendAt
        if let window = request.sendWindow ?? hub.configuration.sendWindows[tenant] {
            let earliest = request.sendAt ?? hub.clock.now()
            let opening = window.nextOpening(atOrAfter: earliest)
            if opening > earliest { sendAt = opening }
        }
        let id = PublicID.make(prefix: "msg_")
        let wallet = WalletKey.team(tenant)
        let variables = try request.variables.map { try JSONEncoder().encode($0) }
        let message = MessageStore.NewMessage(
            id: id, tenant: tenant, channel: request.channel, to: request.to,
            from: request.from ?? senders.first ?? hub.configuration.defaultSenders[request.channel] ?? "", subject: request.subject, body: request.body,
            templateID: template?.id, variables: variables, provider: provider.id, segments: segments, price: price.value, holdID: nil,
            idempotencyKey: idempotencyKey, sendAt: sendAt,
            fallback: fallback.isEmpty ? nil : try JSONEncoder().encode(fallback),
            fallbackAfter: fallback.isEmpty ? nil : request.fallbackAfter ?? Self.defaultFallbackAfter, previousID: request.previousID)
        let now = hub.clock.now()
        let wallets = self.wallets
        do {
            // The hold, the message, its first history event and its outbox row: one commit,
            // grouped with the wallet's other changes of the moment.
            let record = try await store.backend.write(grouping: wallet.writeGroup) { tx in
                var held = message
                held.holdID = try wallets.reserve(price, on: wallet, reference: MessageRecord.holdReference(id), now: now, in: tx).id
                return try MessageStore.insert(held, now: now, tx)
            }
            hub.relayWake.signal()
            return (record, false)
        } catch is MessageStore.DuplicateKey {
            guard let idempotencyKey, let existing = try await store.message(tenant: tenant, idempotencyKey: idempotencyKey) else {
                throw StoreError(kind: .other, message: "a message with this Idempotency-Key exists but cannot be read")
            }
            return (existing, true)
        }
    }

    static let maxFallbackSteps = 3
    static let defaultFallbackAfter: Duration = .seconds(900)
    static let fallbackAfterRange: ClosedRange<Double> = 10...86_400

    /// Checks each fallback step as the message it would send (its field named `fallback[i].…`);
    /// returns the steps with their recipient and text filled in.
    private func validateFallback(_ request: Request, text: String, tenant: String) async throws -> [FallbackStep] {
        guard !request.fallback.isEmpty else { return [] }
        guard request.fallback.count <= Self.maxFallbackSteps else {
            throw Invalid(field: "fallback", message: "fallback may list at most \(Self.maxFallbackSteps) channels")
        }
        if let after = request.fallbackAfter, !Self.fallbackAfterRange.contains(after.timeInterval) {
            throw Invalid(field: "fallbackAfterSeconds", message: "fallbackAfterSeconds must be 10 to 86400")
        }
        var steps: [FallbackStep] = []
        for (index, original) in request.fallback.enumerated() {
            var step = original
            let field = "fallback[\(index)]"
            let phone: Set<Channel> = [.sms, .whatsapp]
            if step.to == nil {
                guard phone.contains(step.channel), phone.contains(request.channel) else {
                    throw Invalid(field: field + ".to", message: "a fallback to \(step.channel.rawValue) from \(request.channel.rawValue) needs its own to")
                }
                step.to = request.to
            }
            if step.templateID == nil {
                step.body = text
                if step.channel == .email { step.subject = step.subject ?? request.subject }
            }
            guard let provider = hub.provider(for: step.channel, tenant: tenant) else {
                throw Invalid(field: field + ".channel", message: "no provider sends \(step.channel.rawValue) messages")
            }
            let check = Request(channel: step.channel, to: step.to ?? "", subject: step.channel == .email ? step.subject : nil,
                                body: step.templateID == nil ? step.body : nil, templateID: step.templateID, variables: step.variables)
            do { _ = try await validate(check, provider: provider.id) } catch let error as Invalid {
                throw Invalid(field: field + "." + error.field, message: error.message)
            }
            if step.channel != .email { step.subject = nil }
            steps.append(step)
        }
        return steps
    }

    /// Checks the request; returns the text that will be sent (the template rendered) and the template.
    private func validate(_ request: Request, provider: String) async throws -> (text: String, template: TemplateRecord?) {
        switch request.channel {
        case .sms, .whatsapp:
            guard MessageAddress.isE164(request.to) else {
                throw Invalid(field: "to", message: "to must be an E.164 number such as +14155550100")
            }
            if let from = request.from, !MessageAddress.isE164(from) {
                throw Invalid(field: "from", message: "from must be an E.164 number")
            }
            if request.subject != nil { throw Invalid(field: "subject", message: "subject is for email only") }
        case .email:
            guard MessageAddress.isEmail(request.to) else { throw Invalid(field: "to", message: "to must be an email address (addr-spec)") }
            if let from = request.from, !MessageAddress.isEmail(from) {
                throw Invalid(field: "from", message: "from must be an email address (addr-spec)")
            }
            if let subject = request.subject {
                guard !subject.isEmpty, subject.count <= 998, !subject.contains(where: \.isNewline) else {
                    throw Invalid(field: "subject", message: "subject must be 1 to 998 characters on one line")
                }
            }
        }
        if let sendAt = request.sendAt {
            let now = hub.clock.now()
            guard sendAt > now else { throw Invalid(field: "sendAt", message: "sendAt must be in the future") }
            guard sendAt.timeIntervalSince(now) <= hub.configuration.maxScheduleAhead.timeInterval else {
                throw Invalid(field: "sendAt", message: "sendAt may be at most \(Int(hub.configuration.maxScheduleAhead.timeInterval / 86_400)) days ahead")
            }
        }
        switch (request.body, request.templateID) {
        case (let body?, nil):
            let limit = Self.maxBodyCharacters[request.channel] ?? 1_600
            guard !body.isEmpty, body.count <= limit else { throw Invalid(field: "body", message: "body must be 1 to \(limit) characters") }
            if request.variables != nil { throw Invalid(field: "variables", message: "variables go with templateId, not body") }
            if request.channel == .email, request.subject == nil { throw Invalid(field: "subject", message: "an email with a body needs a subject") }
            return (body, nil)
        case (nil, let templateID?):
            return try await validate(template: templateID, request, provider: provider)
        case (nil, nil):
            throw Invalid(field: "body", message: "send body or templateId")
        case (_?, _?):
            throw Invalid(field: "templateId", message: "send body or templateId, not both")
        }
    }

    private func validate(template id: Int64, _ request: Request, provider: String) async throws -> (text: String, template: TemplateRecord?) {
        guard let template = try await templates.template(id: id), template.removedAt == nil else {
            throw Invalid(field: "templateId", message: "no template \(id) (see GET /templates)")
        }
        guard template.provider == provider else {
            throw Invalid(field: "templateId", message: "template \(id) is \(template.provider)'s; \(request.channel.rawValue) is sent by \(provider)")
        }
        guard template.channel == request.channel else {
            throw Invalid(field: "templateId", message: "template \(id) is a \(template.channel.rawValue) template, not \(request.channel.rawValue)")
        }
        if request.channel == .whatsapp, template.status != "approved" {
            throw Invalid(field: "templateId", message: "WhatsApp needs an approved template; template \(id) is \(template.status)")
        }
        let given = request.variables ?? [:]
        let missing = Set(template.variables).subtracting(given.keys).sorted()
        guard missing.isEmpty else { throw Invalid(field: "variables", message: "missing template variables: \(missing.joined(separator: ", "))") }
        let unknown = Set(given.keys).subtracting(template.variables).sorted()
        guard unknown.isEmpty else { throw Invalid(field: "variables", message: "unknown template variables: \(unknown.joined(separator: ", "))") }
        if let long = given.first(where: { $0.value.utf8.count > Self.maxVariableBytes }) {
            throw Invalid(field: "variables", message: "variable \(long.key) is longer than \(Self.maxVariableBytes) bytes")
        }
        return (Self.render(template.body ?? "", given), template)
    }

    /// The template's text with its placeholders (`{{name}}`, `{{ name }}`, `{{{name}}}`)
    /// replaced in one pass over the original, so a value is never itself expanded.
    static func render(_ body: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = body[...]
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            var inner = rest[open.upperBound...]
            let triple = inner.hasPrefix("{")
            if triple { inner = inner.dropFirst() }
            let closing = triple ? "}}}" : "}}"
            guard let close = inner.range(of: closing) else { out += rest[open.lowerBound...]; return out }
            let name = inner[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += values[name] ?? String(rest[open.lowerBound..<close.upperBound])
            rest = inner[close.upperBound...]
        }
        return out + rest
    }

    // MARK: Reading

    public func message(_ id: String, tenant: String) async throws -> MessageRecord? {
        try await store.message(id: id, tenant: tenant)
    }

    public func messages(tenant: String, status: MessageStatus?, before: Int64?, limit: Int) async throws -> [MessageRecord] {
        try await store.messages(tenant: tenant, status: status, before: before, limit: limit)
    }

    /// The templates `tenant` can send: those of the providers that send each channel for it.
    public func templates(tenant: String, channel: Channel?, includeRemoved: Bool, after: Int64?, limit: Int) async throws -> [TemplateRecord] {
        try await templates.templates(routes: hub.routes(of: tenant), channel: channel, includeRemoved: includeRemoved, after: after, limit: limit)
    }
}
