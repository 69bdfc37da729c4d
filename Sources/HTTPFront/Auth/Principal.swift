/// The verified caller of a tenant route, from the JWT's claims.
public struct Principal: Sendable, Equatable {
    /// `sub`: the user.
    public var subject: String
    /// `tenantId`: every read and write is scoped to it.
    public var tenant: String
    public var email: String?
    public var roles: [String]
    /// `planTier`: picks the request rate limit.
    public var plan: String

    public init(subject: String, tenant: String, email: String? = nil, roles: [String] = [], plan: String) {
        self.subject = subject
        self.tenant = tenant
        self.email = email
        self.roles = roles
        self.plan = plan
    }
}
