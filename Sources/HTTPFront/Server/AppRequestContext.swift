public import Hummingbird

/// What the envelope and the shared middleware read of any request's context: its ids, and the
/// verified caller when there is one.
public protocol APIRequestContext: RequestContext {
    /// `x-request-id` as sent, or a new UUID.
    var requestID: String { get }
    /// The W3C trace id of `traceparent`, or a new one.
    var traceID: String { get }
    /// The verified tenant caller; nil on open and internal routes.
    var authenticated: Principal? { get }
}

/// What one request carries through the middleware before it reaches a controller: its ids,
/// the peer's address, and the caller that `JWTAuthMiddleware` verified (handed on to
/// `TenantRequestContext`). A value type, copied down the chain: no actor, no allocation.
public struct AppRequestContext: APIRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID = ""
    public var traceID = ""
    /// Set by `JWTAuthMiddleware` on tenant routes only.
    public var principal: Principal?
    public var authenticated: Principal? { principal }

    /// The peer's IP address (the dashboard's sign-in limit counts failures per address); nil in process.
    public var remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are read explicitly with `RequestBody.read`, which enforces the configured limit.
    public var maxUploadSize: Int { 1 << 20 }
}
