import Foundation
import JWTKit
public import Runtime
import Synchronization

/// Verifies bearer tokens: the header's `alg` picks the keys of that algorithm only (so an
/// HS256 token is never checked against an RSA key and `none` has no keys at all), jwt-kit
/// checks the signature, then the claims are checked against the clock, issuer and audience.
/// A token whose signature verified is remembered, so each later request costs a dictionary
/// lookup and the time checks instead of a signature check.
public final class TokenVerifier: Sendable {
    private let configuration: AuthConfiguration
    private let clock: any WallClock
    /// Keys by JWS algorithm name, and a generation bumped each time they are replaced (a JWKS
    /// refresh); a token verified with an older generation is not remembered.
    private let keys: Mutex<(collections: [String: JWTKeyCollection], generation: Int)>
    private let verified: Mutex<[String: AccessClaims]>

    public init(configuration: AuthConfiguration, clock: any WallClock) async throws {
        self.configuration = configuration
        self.clock = clock
        keys = Mutex((try await Self.collections(configuration, jwks: configuration.jwksJSON), 0))
        verified = Mutex([:])
    }

    /// The JWS algorithms tokens may use with the configured keys.
    public var algorithms: Set<String> { Set(keys.withLock { $0.collections.keys }) }

    /// Replaces the JWKS keys (e.g. after fetching the URL again); other keys stay.
    public func replaceJWKS(_ json: String) async throws {
        let fresh = try await Self.collections(configuration, jwks: json)
        keys.withLock { $0 = (fresh, $0.generation + 1) }
        verified.withLock { $0.removeAll() }
    }

    /// The caller a token names, or `unauthorized` saying what is wrong with it.
    public func verify(_ token: String) async throws(APIError) -> Principal {
        if let claims = verified.withLock({ $0[token] }) { return try check(claims) }
        let claims: AccessClaims
        let generation: Int
        do {
            let header = try DefaultJWTParser().parse(Array(token.utf8), as: AccessClaims.self).header
            let (found, current) = keys.withLock { keys in (header.alg.flatMap { keys.collections[$0] }, keys.generation) }
            generation = current
            guard let collection = found else {
                throw APIError.unauthorized("token algorithm '\(header.alg ?? "none")' is not accepted")
            }
            claims = try await collection.verify(token, as: AccessClaims.self, iteratingKeys: header.kid == nil)
        } catch let error as APIError {
            throw error
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw APIError.unauthorized("token signature is not valid")
        } catch {
            throw APIError.unauthorized("token is malformed or not signed by a trusted key")
        }
        let principal = try check(claims)
        remember(token, claims, generation: generation)
        return principal
    }

    /// The checks that do not depend on the signature: times, issuer, audience, required claims.
    private func check(_ claims: AccessClaims) throws(APIError) -> Principal {
        let now = clock.now()
        let leeway = TimeInterval(configuration.leeway.components.seconds)
        guard let exp = claims.exp else { throw APIError.unauthorized("token has no expiry (exp)") }
        guard now.timeIntervalSince(exp.value) < leeway else { throw APIError.unauthorized("token has expired") }
        if let nbf = claims.nbf, nbf.value.timeIntervalSince(now) > leeway {
            throw APIError.unauthorized("token is not valid yet (nbf)")
        }
        if let iat = claims.iat, iat.value.timeIntervalSince(now) > leeway {
            throw APIError.unauthorized("token was issued in the future (iat)")
        }
        if let issuer = configuration.issuer, claims.iss?.value != issuer {
            throw APIError.unauthorized("token issuer is not accepted")
        }
        if let audience = configuration.audience, !(claims.aud?.value.contains(audience) ?? false) {
            throw APIError.unauthorized("token audience is not accepted")
        }
        guard let tenant = claims.tenantId, !tenant.isEmpty else { throw APIError.unauthorized("token has no tenantId claim") }
        guard CleanID.isTenant(tenant) else {
            throw APIError.unauthorized("token's tenantId is not an id: 1 to \(CleanID.maxTenantBytes) of A-Z a-z 0-9 . _ : -")
        }
        guard !Self.isReserved(tenant) else { throw APIError.unauthorized("token's tenantId '\(tenant)' is reserved") }
        guard let subject = claims.sub?.value, !subject.isEmpty else { throw APIError.unauthorized("token has no subject (sub)") }
        guard CleanID.isSubject(subject) else {
            throw APIError.unauthorized("token's sub is not an id: 1 to \(CleanID.maxSubjectBytes) of A-Z a-z 0-9 . _ : - @ | +")
        }
        return Principal(subject: subject, tenant: tenant, email: claims.email, roles: claims.roles ?? [],
                         plan: claims.planTier ?? "free")
    }

    /// Tenant names the server uses for itself: `system` (the runtime's own schedules and
    /// jobs) and anything starting with `_` (e.g. the internal routes' idempotency scope).
    static func isReserved(_ tenant: String) -> Bool { tenant == "system" || tenant.hasPrefix("_") }

    private func remember(_ token: String, _ claims: AccessClaims, generation: Int) {
        verified.withLock { cache in
            // Checked under the cache's lock: a refresh bumps the generation before it clears the cache.
            guard keys.withLock({ $0.generation }) == generation else { return }
            if cache.count >= configuration.cacheCapacity, let any = cache.indices.first { cache.remove(at: any) }
            cache[token] = claims
        }
    }

    private static func collections(_ configuration: AuthConfiguration, jwks: String?) async throws -> [String: JWTKeyCollection] {
        var collections: [String: JWTKeyCollection] = [:]
        func collection(_ alg: String) -> JWTKeyCollection {
            if let existing = collections[alg] { return existing }
            let made = JWTKeyCollection()
            collections[alg] = made
            return made
        }
        if let pem = configuration.developmentKeyPEM {
            await collection("RS256").add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: .sha256)
        }
        for pem in configuration.publicKeyPEMs {
            if let rsa = try? Insecure.RSA.PublicKey(pem: pem) {
                await collection("RS256").add(rsa: rsa, digestAlgorithm: .sha256)
            } else if let rsa = try? Insecure.RSA.PublicKey(certificatePEM: pem) {
                await collection("RS256").add(rsa: rsa, digestAlgorithm: .sha256)
            } else if let ec = try? ES256PublicKey(pem: pem) {
                await collection("ES256").add(ecdsa: ec)
            } else if let ec = try? ES256PublicKey(certificate: pem) {
                await collection("ES256").add(ecdsa: ec)
            } else {
                throw AuthSetupError("a configured public key is neither an RSA nor a P-256 PEM key or certificate")
            }
        }
        if let secret = configuration.hs256Secret {
            guard secret.utf8.count >= 32 else { throw AuthSetupError("the HS256 secret must be at least 32 bytes") }
            await collection("HS256").add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        }
        if let jwks, !jwks.isEmpty {
            let set: JWKS
            do { set = try JSONDecoder().decode(JWKS.self, from: Data(jwks.utf8)) } catch {
                throw AuthSetupError("the JWKS is not a valid JWK set: \(error)")
            }
            for key in set.keys {
                guard let alg = key.algorithm?.rawValue ?? Self.defaultAlgorithm(key) else { continue }
                guard ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"].contains(alg) else { continue }
                try await collection(alg).add(jwk: key)
            }
        }
        return collections
    }

    private static func defaultAlgorithm(_ key: JWK) -> String? {
        switch key.keyType {
        case .rsa: "RS256"
        case .ecdsa: "ES256"
        default: nil
        }
    }
}

/// A key configuration that cannot work; `serve` refuses to start with its message.
public struct AuthSetupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
