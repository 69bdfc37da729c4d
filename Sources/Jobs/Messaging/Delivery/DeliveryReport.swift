import Foundation

/// One delivery report a provider sent us (a Twilio status callback): which message, the
/// provider's status word, its error code. `dedupeKey` names the report itself, so the same
/// report delivered twice is stored once (`provider:MessageSid:status`, or the provider's own
/// event id).
public struct DeliveryReport: Codable, Sendable, Equatable {
    public var provider: String
    /// Our message id, when the provider echoes it (the status-callback URL carries it).
    public var messageID: String?
    public var providerMessageID: String
    /// The provider's own status word (`delivered`, `undelivered`, …).
    public var providerStatus: String
    public var errorCode: String?
    /// The provider's id of the report itself, when it has one (SendGrid's `sg_event_id`).
    public var eventID: String?

    public init(provider: String, messageID: String?, providerMessageID: String, providerStatus: String, errorCode: String?,
                eventID: String? = nil) {
        self.eventID = eventID
        self.provider = provider
        self.messageID = messageID
        self.providerMessageID = providerMessageID
        self.providerStatus = providerStatus
        self.errorCode = errorCode
    }

    public var dedupeKey: String {
        eventID.map { "\(provider):event:\($0)" } ?? "\(provider):\(providerMessageID):\(providerStatus.lowercased())"
    }
}
