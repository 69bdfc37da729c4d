/// How bearer tokens are checked. Production sets public keys (PEM), a JWKS (file or URL) or
/// an HS256 secret, plus issuer and audience; development mode adds the generated key of the
/// data directory, with which `switchboard token` signs.
public struct AuthConfiguration: Sendable {
    /// PEM public keys (RSA → RS256, P-256 → ES256) or certificates.
    public var publicKeyPEMs: [String]
    /// A JWKS document (the contents of a file).
    public var jwksJSON: String?
    /// Where to fetch the JWKS from; refetched every `jwksRefreshInterval`.
    public var jwksURL: String?
    public var jwksRefreshInterval: Duration
    /// A shared HS256 secret (development and tests; at least 32 bytes).
    public var hs256Secret: String?
    /// The development RS256 private key (PEM) of the data directory.
    public var developmentKeyPEM: String?
    /// When set, the `iss` claim must equal it.
    public var issuer: String?
    /// When set, the `aud` claim must contain it.
    public var audience: String?
    /// Clock skew allowed on `exp` and `nbf`.
    public var leeway: Duration
    /// Verified tokens remembered (signature checked once per token, times on every request).
    public var cacheCapacity: Int

    public init(publicKeyPEMs: [String] = [], jwksJSON: String? = nil, jwksURL: String? = nil,
                jwksRefreshInterval: Duration = .seconds(300), hs256Secret: String? = nil, developmentKeyPEM: String? = nil,
                issuer: String? = nil, audience: String? = nil, leeway: Duration = .seconds(30), cacheCapacity: Int = 10_000) {
        self.publicKeyPEMs = publicKeyPEMs
        self.jwksJSON = jwksJSON
        self.jwksURL = jwksURL
        self.jwksRefreshInterval = jwksRefreshInterval
        self.hs256Secret = hs256Secret
        self.developmentKeyPEM = developmentKeyPEM
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cacheCapacity = cacheCapacity
    }

    /// True when at least one way to verify a token is configured.
    public var hasKeys: Bool {
        !publicKeyPEMs.isEmpty || jwksJSON != nil || jwksURL != nil || hs256Secret != nil || developmentKeyPEM != nil
    }
}
