public import Hummingbird

/// What one request carries through the middleware: its ids, and who is calling once
/// authentication has run. A value type, copied down the chain: no actor, no allocation.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `x-request-id` as sent, or a new UUID.
    public var requestID = ""
    /// The W3C trace id of `traceparent`, or a new one.
    public var traceID = ""
    /// The verified caller of a tenant route; nil before authentication and on open or internal routes.
    public var principal: Principal?

    /// The peer's IP address (the dashboard's sign-in limit counts failures per address); nil in process.
    public var remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are read explicitly with `RequestBody.read`, which enforces the configured limit.
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated caller; only tenant routes (behind `JWTAuthMiddleware`) call this.
    func caller() throws -> Principal {
        guard let principal else { throw APIError.unauthorized("a bearer token is required") }
        return principal
    }
}
