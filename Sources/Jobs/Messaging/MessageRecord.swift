public import Foundation
import Runtime

/// A message as the API shows it, with its status history.
public struct MessageRecord: Sendable, Equatable {
    public struct Event: Sendable, Equatable {
        public var status: MessageStatus
        public var detail: String?
        public var at: Date
    }

    public var sequence: Int64
    public var id: String
    public var tenant: String
    public var channel: Channel
    public var to: String
    public var from: String
    public var subject: String?
    public var body: String?
    /// The template's id (`GET /templates`) and the values given for it.
    public var templateID: Int64?
    public var variables: [String: String]?
    public var provider: String
    public var status: MessageStatus
    public var providerMessageID: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var attempts: Int
    public var segments: Int
    public var priceMicroUSD: Int64
    public var sendAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// With channel fallback: the attempt this one follows, and the one that followed it.
    public var previousID: String?
    public var nextID: String?
    /// Oldest first; filled by reads of one message.
    public var events: [Event]

    /// The reference of the message's hold on the team wallet (a durable hold: kept across
    /// restarts until the message is sent or fails).
    static func holdReference(_ id: String) -> String { Wallets.durableHoldPrefix + "message:" + id }
}

/// A synced template as the API shows it.
public struct TemplateRecord: Sendable, Equatable {
    public var id: Int64
    public var provider: String
    public var providerTemplateID: String
    public var name: String
    public var language: String
    public var channel: Channel
    public var category: String?
    /// `approved`, `pending`, `rejected`, … as the provider said; `removed` once the provider no longer lists it.
    public var status: String
    public var variables: [String]
    public var body: String?
    public var removedAt: Date?
    public var syncedAt: Date
}
