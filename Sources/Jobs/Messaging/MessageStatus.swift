/// Where a message is: `queued → sending → sent → delivered | failed | undelivered`, or
/// `cancelled`. Transitions only move forward (`rank`), so a late or repeated report never
/// takes a message back.
public enum MessageStatus: String, Codable, Sendable, CaseIterable {
    case queued, sending, sent, delivered, failed, undelivered, cancelled

    public var rank: Int {
        switch self {
        case .queued: 0
        case .sending: 1
        case .sent: 2
        case .delivered, .failed, .undelivered, .cancelled: 3
        }
    }

    public var isFinal: Bool { rank == 3 }

    /// A provider's word for a message's state (Twilio's statuses), as ours; nil if unknown.
    public init?(providerStatus: String) {
        switch providerStatus.lowercased() {
        case "accepted", "queued", "scheduled": self = .queued
        case "sending": self = .sending
        case "sent": self = .sent
        case "delivered", "read": self = .delivered
        case "failed": self = .failed
        case "undelivered": self = .undelivered
        case "canceled", "cancelled": self = .cancelled
        default: return nil
        }
    }
}
