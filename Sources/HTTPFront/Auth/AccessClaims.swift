public import Foundation
public import JWTKit

/// The claims of an access token (API.md): `sub`, `tenantId`, `email`, `roles`, `planTier`,
/// `iat`, `exp`, and the optional `nbf`, `iss`, `aud`. Times are checked by `TokenVerifier`
/// against its clock, not here, so tests can turn time.
public struct AccessClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim?
    public var tenantId: String?
    public var email: String?
    public var roles: [String]?
    public var planTier: String?
    public var iat: IssuedAtClaim?
    public var exp: ExpirationClaim?
    public var nbf: NotBeforeClaim?
    public var iss: IssuerClaim?
    public var aud: AudienceClaim?

    public init(sub: String, tenantId: String?, email: String? = nil, roles: [String] = [], planTier: String? = nil,
                issuedAt: Date, expiresAt: Date?, notBefore: Date? = nil, issuer: String? = nil, audience: String? = nil) {
        self.sub = SubjectClaim(value: sub)
        self.tenantId = tenantId
        self.email = email
        self.roles = roles
        self.planTier = planTier
        // Whole seconds: RFC 7519's NumericDate is commonly integral, and some verifiers refuse fractions.
        iat = IssuedAtClaim(value: Self.wholeSeconds(issuedAt))
        exp = expiresAt.map { ExpirationClaim(value: Self.wholeSeconds($0)) }
        nbf = notBefore.map { NotBeforeClaim(value: Self.wholeSeconds($0)) }
        iss = issuer.map(IssuerClaim.init(value:))
        aud = audience.map { AudienceClaim(value: [$0]) }
    }

    static func wholeSeconds(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }

    /// Signature checks only; `TokenVerifier.check` does the rest.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
