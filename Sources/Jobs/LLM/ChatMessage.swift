/// One message of a chat prompt.
public struct ChatMessage: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable, CaseIterable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// Token counts estimated before a call (to reserve money and rate-limit capacity); providers'
/// own counts replace them afterwards.
public enum TokenEstimate {
    /// About four UTF-8 bytes a token, plus four tokens of framing a message, at least one.
    public static func inputTokens(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { total, message in total + outputTokens(message.content) + 4 }
    }

    /// The tokens of a text when the provider did not count them: about four UTF-8 bytes a token.
    public static func outputTokens(_ text: String) -> Int { (text.utf8.count + 3) / 4 }
}
