/// One channel to try when the message before it ends `failed` or `undelivered`, or has no
/// delivery report within its `fallbackAfter`. `to` defaults to the first message's recipient
/// between SMS and WhatsApp; with no template, the first message's text (its template rendered)
/// is sent, with its subject for email unless the step names one.
public struct FallbackStep: Codable, Sendable, Equatable {
    public var channel: Channel
    public var to: String?
    public var subject: String?
    public var templateID: Int64?
    public var variables: [String: String]?
    /// Set when the message is accepted: the text a step without a template sends.
    var body: String?

    public init(channel: Channel, to: String? = nil, subject: String? = nil, templateID: Int64? = nil, variables: [String: String]? = nil) {
        self.channel = channel
        self.to = to
        self.subject = subject
        self.templateID = templateID
        self.variables = variables
    }
}
