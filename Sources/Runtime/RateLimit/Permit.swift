/// What one acquisition takes from a key's quotas: a number of requests and a number of tokens
/// (an LLM call is typically one request and its estimated tokens). Negative counts are
/// clamped to zero; a quota whose unit the permit takes none of is not consulted.
public struct Permit: Sendable, Hashable, CustomStringConvertible {
    public let requests: Int
    public let tokens: Int

    public init(requests: Int = 1, tokens: Int = 0) {
        self.requests = max(0, requests)
        self.tokens = max(0, tokens)
    }

    /// One request and no tokens.
    public static let oneRequest = Permit()

    /// How many units of `unit` this permit takes.
    public func units(of unit: Quota.Unit) -> Int {
        switch unit {
        case .requests: requests
        case .tokens: tokens
        }
    }

    public var description: String { "\(requests) requests, \(tokens) tokens" }
}
