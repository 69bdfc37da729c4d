import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import JWTKit
import Runtime
import Testing

@Suite("Authentication")
struct AuthTests {
    static func claims(tenant: String? = TestKeys.tenant, sub: String = "user-1", issuedAt: Date = Date(), expiresIn: TimeInterval? = 3_600,
                       notBefore: Date? = nil, issuer: String? = "https://auth.example", audience: String? = "switchboard")
        -> AccessClaims {
        AccessClaims(sub: sub, tenantId: tenant, roles: ["user"], planTier: "professional", issuedAt: issuedAt,
                     expiresAt: expiresIn.map { issuedAt.addingTimeInterval($0) }, notBefore: notBefore, issuer: issuer,
                     audience: audience)
    }

    /// A token whose header says `alg: none` and has no signature.
    static func unsignedToken() throws -> String {
        func encode(_ object: [String: Any]) throws -> String {
            try JSONSerialization.data(withJSONObject: object).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let now = Int(Date().timeIntervalSince1970)
        return try encode(["alg": "none", "typ": "JWT"]) + "."
            + encode(["sub": "user-1", "tenantId": TestKeys.tenant, "iat": now, "exp": now + 3_600,
                      "iss": "https://auth.example", "aud": "switchboard"]) + "."
    }

    enum BadToken: String, CaseIterable {
        case missing, notBearer, garbage, badSignature, algNone, hs256AgainstRSA, expired, notYetValid, wrongIssuer,
             wrongAudience, missingTenant, missingExpiry, tamperedPayload, reservedTenant, internalScopeTenant,
             tenantWithNUL, tenantWithTrailingSpace, tenantWithZeroWidthSpace, tenantWithNewline, tenantTooLong, subWithControl
    }

    static func authorization(_ bad: BadToken) async throws -> String? {
        switch bad {
        case .missing: return nil
        case .notBearer: return "Basic dXNlcjpwYXNz"
        case .garbage: return "Bearer not.a.token"
        case .badSignature: return "Bearer " + (try await Harness.sign(claims(), pem: TestKeys.otherRSAPEM))
        case .algNone: return "Bearer " + (try unsignedToken())
        case .hs256AgainstRSA: return "Bearer " + (try await Harness.signHS256(claims()))
        case .expired: return "Bearer " + (try await Harness.sign(claims(issuedAt: Date().addingTimeInterval(-7_200), expiresIn: 3_600)))
        case .notYetValid: return "Bearer " + (try await Harness.sign(claims(notBefore: Date().addingTimeInterval(600))))
        case .wrongIssuer: return "Bearer " + (try await Harness.sign(claims(issuer: "https://evil.example")))
        case .wrongAudience: return "Bearer " + (try await Harness.sign(claims(audience: "someone-else")))
        case .missingTenant: return "Bearer " + (try await Harness.sign(claims(tenant: nil)))
        case .missingExpiry: return "Bearer " + (try await Harness.sign(claims(expiresIn: nil)))
        case .reservedTenant: return "Bearer " + (try await Harness.sign(claims(tenant: "system")))
        case .internalScopeTenant: return "Bearer " + (try await Harness.sign(claims(tenant: "_internal")))
        case .tenantWithNUL: return "Bearer " + (try await Harness.sign(claims(tenant: TestKeys.tenant + "\0")))
        case .tenantWithTrailingSpace: return "Bearer " + (try await Harness.sign(claims(tenant: TestKeys.tenant + " ")))
        case .tenantWithZeroWidthSpace: return "Bearer " + (try await Harness.sign(claims(tenant: TestKeys.tenant + "\u{200B}")))
        case .tenantWithNewline: return "Bearer " + (try await Harness.sign(claims(tenant: "acme\nother")))
        case .tenantTooLong: return "Bearer " + (try await Harness.sign(claims(tenant: String(repeating: "t", count: 129))))
        case .subWithControl: return "Bearer " + (try await Harness.sign(claims(sub: "user-1\u{07}")))
        case .tamperedPayload:
            let parts = try await Harness.sign(claims()).split(separator: ".").map(String.init)
            let other = try await Harness.sign(claims(tenant: TestKeys.otherTenant)).split(separator: ".").map(String.init)
            return "Bearer " + [parts[0], other[1], parts[2]].joined(separator: ".")
        }
    }

    static let strictAuth = AuthConfiguration(publicKeyPEMs: [TestKeys.rsaPublicPEM], issuer: "https://auth.example",
                                              audience: "switchboard")

    @Test("every bad token is a 401 in the envelope, in process and over a socket", arguments: [TestingSetup.router, .live])
    func badTokens(setup: TestingSetup) async throws {
        let harness = try await Harness.make(auth: Self.strictAuth)
        try await harness.test(setup) { client in
            for bad in BadToken.allCases {
                var headers: HTTPFields = [:]
                if let value = try await Self.authorization(bad) { headers[.authorization] = value }
                let response = try await client.get("/llm-orch/v1/wallets", headers: headers)
                #expect(response.status == .unauthorized, "\(bad)")
                let envelope = try ParsedEnvelope(response)
                #expect(envelope.hasEnvelopeShape, "\(bad)")
                #expect(envelope.errorCode == "unauthorized", "\(bad)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer", "\(bad)")
            }
            let good = try await client.get("/llm-orch/v1/wallets", headers: [.authorization: "Bearer " + (try await Harness.sign(Self.claims(issuedAt: harness.clock.now())))])
            #expect(good.status == .ok)
        }
    }

    @Test("a tenant header that differs from the token's tenant is 403; the same one is fine")
    func tenantMismatch() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            let mismatch = try await client.get("/llm-orch/v1/wallets", token: token, headers: [.init("x-tenant-id")!: TestKeys.otherTenant])
            #expect(mismatch.status == .forbidden)
            #expect(try ParsedEnvelope(mismatch).errorCode == "forbidden")
            let match = try await client.get("/llm-orch/v1/wallets", token: token, headers: [.init("x-tenant-id")!: TestKeys.tenant])
            #expect(match.status == .ok)
        }
    }

    @Test("a remembered token still expires: the cache keeps the signature check, not the time check")
    func cachedTokenExpires() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token(expiresIn: 120)
        try await harness.test { client in
            #expect(try await client.get("/llm-orch/v1/wallets", token: token).status == .ok)
            harness.clock.advance(by: .seconds(120 + 31))  // past exp and the 30 s leeway
            let late = try await client.get("/llm-orch/v1/wallets", token: token)
            #expect(late.status == .unauthorized)
            #expect((try ParsedEnvelope(late).error?["message"] as? String)?.contains("expired") == true)
        }
    }

    @Test("HS256 tokens verify against a configured secret, and an RS256 token is then refused by the HS256-only server")
    func hs256() async throws {
        let harness = try await Harness.make(auth: AuthConfiguration(hs256Secret: TestKeys.hsSecret))
        try await harness.test { client in
            let hs = try await Harness.signHS256(Self.claims())
            #expect(try await client.get("/llm-orch/v1/wallets", token: hs).status == .ok)
            let rs = try await Harness.sign(Self.claims())
            #expect(try await client.get("/llm-orch/v1/wallets", token: rs).status == .unauthorized)
            let forged = try await Harness.signHS256(Self.claims(), secret: "another-secret-that-is-32-bytes-long")
            #expect(try await client.get("/llm-orch/v1/wallets", token: forged).status == .unauthorized)
        }
    }

    @Test("ES256 public keys and JWKS documents are accepted as key sources")
    func es256AndJWKS() async throws {
        let ecKey = ES256PrivateKey()
        let ecPublicPEM = ecKey.publicKey.pemRepresentation
        let rsa = try Insecure.RSA.PrivateKey(pem: TestKeys.rsaPEM)
        let primitives = try rsa.publicKey.getKeyPrimitives()
        func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let jwks = #"{"keys":[{"kty":"RSA","alg":"RS256","kid":"k1","use":"sig","n":"\#(base64URL(primitives.modulus))","e":"\#(base64URL(primitives.publicExponent))"}]}"#
        let harness = try await Harness.make(auth: AuthConfiguration(publicKeyPEMs: [ecPublicPEM], jwksJSON: jwks))
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: ecKey)
        let esToken = try await keys.sign(Self.claims())
        let rsKeys = JWTKeyCollection()
        await rsKeys.add(rsa: rsa, digestAlgorithm: .sha256, kid: "k1")
        let jwksToken = try await rsKeys.sign(Self.claims(), kid: "k1")
        try await harness.test { client async throws in
            #expect(try await client.get("/llm-orch/v1/wallets", token: esToken).status == .ok)
            #expect(try await client.get("/llm-orch/v1/wallets", token: jwksToken).status == .ok)
            #expect(try await client.get("/llm-orch/v1/wallets", token: try await Harness.sign(Self.claims(), pem: TestKeys.otherRSAPEM)).status
                == .unauthorized)
        }
    }

    @Test("replacing the JWKS forgets remembered tokens: a token of a removed key stops working at once")
    func jwksReplacement() async throws {
        let rsa = try Insecure.RSA.PrivateKey(pem: TestKeys.rsaPEM)
        let primitives = try rsa.publicKey.getKeyPrimitives()
        func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let jwks = #"{"keys":[{"kty":"RSA","alg":"RS256","kid":"k1","n":"\#(base64URL(primitives.modulus))","e":"\#(base64URL(primitives.publicExponent))"}]}"#
        let verifier = try await TokenVerifier(configuration: AuthConfiguration(jwksJSON: jwks), clock: TestClock(now: Date()))
        let keys = JWTKeyCollection()
        await keys.add(rsa: rsa, digestAlgorithm: .sha256, kid: "k1")
        let token = try await keys.sign(Self.claims(), kid: "k1")
        #expect(try await verifier.verify(token).tenant == TestKeys.tenant)
        #expect(try await verifier.verify(token).tenant == TestKeys.tenant)  // now from the cache
        try await verifier.replaceJWKS(#"{"keys":[]}"#)
        await #expect(throws: APIError.self) { try await verifier.verify(token) }
    }

    @Test("internal routes need the internal key: no key, a wrong key and a valid JWT are all refused")
    func internalKey() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let body = #"{"tenantId":"\#(TestKeys.tenant)","wallet":"team","amountUsd":"1.00"}"#
        try await harness.test(.live) { client in
            let none = try await client.send(.post, "/llm-orch/v1/_internal/wallets/credit", json: body)
            #expect(none.status == .unauthorized)
            let jwt = try await client.send(.post, "/llm-orch/v1/_internal/wallets/credit", token: token, json: body)
            #expect(jwt.status == .unauthorized)
            let wrong = try await client.send(.post, "/llm-orch/v1/_internal/wallets/credit", internalKey: TestKeys.internalKey + "x", json: body)
            #expect(wrong.status == .unauthorized)
            #expect(try ParsedEnvelope(wrong).errorCode == "unauthorized")
            let schedules = try await client.get("/cpaas/v1/jobs/schedules", token: token)
            #expect(schedules.status == .unauthorized)
            let right = try await client.send(.post, "/llm-orch/v1/_internal/wallets/credit", internalKey: TestKeys.internalKey, json: body)
            #expect(right.status == .ok)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.balance == MicroUSD(usd: 1))
        }
    }

    @Test("health needs no auth")
    func healthIsOpen() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            for path in ["/llm-orch/v1/health", "/cpaas/v1/_internal/healthz"] {
                let response = try await client.get(path)
                #expect(response.status == .ok, "\(path)")
                #expect(try ParsedEnvelope(response).dataObject?["status"] as? String == "ok")
            }
        }
    }
}

@Suite("development tokens")
struct DevelopmentTokenTests {
    @Test("iat and exp are whole seconds (RFC 7519 NumericDate as an integer)")
    func wholeSeconds() async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.734)
        let token = try await Harness.sign(AccessClaims(sub: "u", tenantId: TestKeys.tenant, issuedAt: now, expiresAt: now.addingTimeInterval(3_600)))
        var segment = String(token.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while segment.count % 4 != 0 { segment += "=" }
        let json = String(decoding: try #require(Data(base64Encoded: segment)), as: UTF8.self)
        #expect(json.contains(#""iat":1800000000,"#) || json.contains(#""iat":1800000000}"#), "\(json)")
        #expect(json.contains(#""exp":1800003600"#) && !json.contains("1800003600."), "\(json)")
    }
}
