/// A provider and model a request may go to.
public struct RouteTarget: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var provider: String
    public var model: String

    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    public var description: String { "\(provider)/\(model)" }
    /// The rate-limiter key of this provider and model.
    public var limiterKey: String { "llm:\(provider):\(model)" }
}

/// Which targets serve a request: per `useCase`, a primary and ordered fallbacks; an explicit
/// model narrows them to the targets of that model.
public struct LLMRouting: Sendable, Equatable {
    public var routes: [String: [RouteTarget]]
    public var defaultUseCase: String

    public init(routes: [String: [RouteTarget]], defaultUseCase: String) {
        self.routes = routes
        self.defaultUseCase = defaultUseCase
    }

    /// The targets for a request, in the order to try them.
    public func targets(useCase: String?, model: String?) throws(RoutingError) -> [RouteTarget] {
        let name = useCase ?? defaultUseCase
        guard let route = routes[name], !route.isEmpty else {
            throw RoutingError(.unknownUseCase, "useCase '\(name.prefix(100))' is not one of \(routes.keys.sorted().joined(separator: ", "))")
        }
        guard let model else { return route }
        let matching = route.filter { $0.model == model }
        guard !matching.isEmpty else {
            let allowed = Set(route.map(\.model)).sorted().joined(separator: ", ")
            throw RoutingError(.unknownModel, "model '\(model.prefix(100))' is not allowed for useCase '\(name)' (allowed: \(allowed))")
        }
        return matching
    }
}

/// Why the router could not get an answer.
public struct RoutingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case unknownUseCase
        case unknownModel
        /// Every target was rate limited (ours or the provider's) until past the deadline.
        case rateLimited(retryAfter: Duration)
        /// Every target failed or had its breaker open.
        case unavailable
        /// The request is wrong for the provider; trying others would not help.
        case invalidRequest
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}
