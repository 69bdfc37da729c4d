/// A messaging channel.
public enum Channel: String, Codable, Sendable, CaseIterable {
    case sms, email, whatsapp
}

/// One message as a provider is asked to send it.
public struct OutgoingMessage: Sendable, Equatable {
    /// Switchboard's message id: also the provider-side dedupe reference, so a message resent
    /// after a crash is not delivered twice by providers that honour it.
    public var id: String
    public var channel: Channel
    /// E.164 (`+14155550100`) for SMS and WhatsApp, an email address for email.
    public var to: String
    /// Sender; nil uses the provider's configured default for the channel.
    public var from: String?
    public var subject: String?
    public var body: String?
    /// A provider template (Twilio `ContentSid`, SendGrid dynamic template id) and its variables.
    public var template: TemplateReference?

    public init(id: String, channel: Channel, to: String, from: String? = nil, subject: String? = nil, body: String? = nil,
                template: TemplateReference? = nil) {
        self.id = id
        self.channel = channel
        self.to = to
        self.from = from
        self.subject = subject
        self.body = body
        self.template = template
    }
}

/// A template as the provider names it, with the values for its variables.
public struct TemplateReference: Sendable, Equatable, Codable {
    public var providerTemplateID: String
    public var variables: [String: String]

    public init(providerTemplateID: String, variables: [String: String]) {
        self.providerTemplateID = providerTemplateID
        self.variables = variables
    }
}

/// What a provider answered to a send.
public struct SendReceipt: Sendable, Equatable {
    /// The provider's id (Twilio `sid`, SendGrid `X-Message-Id`).
    public var providerMessageID: String
    /// The status the provider reported (`queued`, `sent`, `delivered`, …, Twilio's words);
    /// nil when it said nothing more than "accepted".
    public var providerStatus: String?

    public init(providerMessageID: String, providerStatus: String? = nil) {
        self.providerMessageID = providerMessageID
        self.providerStatus = providerStatus
    }
}

/// A template as a provider lists it.
public struct ProviderTemplate: Sendable, Equatable {
    public var providerTemplateID: String
    public var name: String
    /// BCP 47 (`en`, `en_US`, `pt_BR`), as the provider writes it.
    public var language: String
    public var channel: Channel
    /// `marketing`, `utility`, `authentication`, … (WhatsApp); nil when the provider has none.
    public var category: String?
    /// `approved`, `pending`, `rejected`, `paused`, `disabled` or `unsubmitted`.
    public var approval: String
    /// The variable names the template needs (Twilio `{{1}}` → `1`; SendGrid `{{first_name}}` → `first_name`).
    public var variables: [String]
    /// The text with its placeholders, when the provider gives it.
    public var body: String?

    public init(providerTemplateID: String, name: String, language: String, channel: Channel, category: String?, approval: String,
                variables: [String], body: String?) {
        self.providerTemplateID = providerTemplateID
        self.name = name
        self.language = language
        self.channel = channel
        self.category = category
        self.approval = approval
        self.variables = variables
        self.body = body
    }
}

/// One page of a provider's template list; `next` is the provider's cursor for the next page.
public struct TemplatePage: Sendable, Equatable {
    public var templates: [ProviderTemplate]
    public var next: String?

    public init(templates: [ProviderTemplate], next: String?) {
        self.templates = templates
        self.next = next
    }
}

/// A messaging provider: Twilio-compatible, SendGrid-compatible, or the simulated one.
/// Adapters translate their wire format's failures into `MessagingError` so the relay can tell
/// what to retry.
public protocol MessagingProvider: Sendable {
    /// The name configuration and `GET /providers` use (`twilio`, `sendgrid`, `simulated`).
    var id: String { get }
    /// The channels it sends.
    var channels: Set<Channel> { get }
    /// What it is, for people (`Twilio`, `SendGrid`, `Simulated`); `GET /providers` shows it.
    var name: String { get }
    func send(_ message: OutgoingMessage) async throws(MessagingError) -> SendReceipt
    /// One page of its templates, from the start (`page` nil) or from the cursor of the previous page.
    func templates(page: String?) async throws(MessagingError) -> TemplatePage
    /// What the provider says of a message it took (for the reconciliation of reports that
    /// never came); nil from providers that cannot be asked.
    func currentStatus(of providerMessageID: String) async throws(MessagingError) -> ProviderStatusReport?
}

extension MessagingProvider {
    public func currentStatus(of providerMessageID: String) async throws(MessagingError) -> ProviderStatusReport? { nil }
}

/// A provider's word on a message's status, and its error code if it failed.
public struct ProviderStatusReport: Sendable, Equatable {
    public var status: String
    public var errorCode: String?

    public init(status: String, errorCode: String? = nil) {
        self.status = status
        self.errorCode = errorCode
    }
}

extension MessagingProvider {
    /// A provider that does not name itself is shown by its id.
    public var name: String { id }
}

/// Why a send or a template listing failed, sorted by what the relay may do about it.
public struct MessagingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The provider's 429 (Twilio 20429, SendGrid 429): retry after the pause.
        case rateLimited(retryAfter: Duration?)
        /// 5xx, connection refused or reset, timeout: retry with backoff.
        case transient
        /// The message can never be sent as is (invalid number 21211, unsubscribed 21610,
        /// not a mobile 21614, a bad request): mark it failed with `code`.
        case permanent
    }

    public let kind: Kind
    /// The provider's error code (`21211`, `400`), when it gave one.
    public let code: String?
    public let message: String

    public init(_ kind: Kind, code: String? = nil, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var isRetryable: Bool { kind != .permanent }

    public var description: String { "\(kind)\(code.map { " (\($0))" } ?? ""): \(message)" }
}
