public import Hummingbird

/// The context of a tenant route, made once `JWTAuthMiddleware` has verified the token: the
/// caller is not optional, so a controller cannot forget to check it.
public struct TenantRequestContext: ChildRequestContext, APIRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    public let traceID: String
    /// The verified caller: the tenant always comes from here, never from the body.
    public let principal: Principal
    public var authenticated: Principal? { principal }

    /// Refuses a context that did not pass authentication (a route mounted outside the JWT group).
    public init(context: AppRequestContext) throws {
        guard let principal = context.principal else { throw APIError.unauthorized("a bearer token is required") }
        coreContext = context.coreContext
        requestID = context.requestID
        traceID = context.traceID
        self.principal = principal
    }

    public var maxUploadSize: Int { 1 << 20 }
}
