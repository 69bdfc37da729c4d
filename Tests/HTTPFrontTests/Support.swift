import Crypto
import CryptoExtras
import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import JWTKit
import Jobs
import Logging
import Runtime
import Testing

/// A temporary directory removed when the test ends.
final class TemporaryDirectory: Sendable {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "switchboard-http-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Keys made once per test process (RSA key generation is slow).
enum TestKeys {
    static let rsaPEM = try! _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
    static let otherRSAPEM = try! _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
    static let rsaPublicPEM = try! _RSA.Signing.PrivateKey(pemRepresentation: rsaPEM).publicKey.pemRepresentation
    static let hsSecret = "a-shared-secret-of-at-least-32-bytes!!"
    static let internalKey = "test-internal-key-0123456789"
    static let tenant = "00000000-0000-0000-0000-0000000000aa"
    static let otherTenant = "00000000-0000-0000-0000-0000000000bb"
}

/// One runtime, token verifier and HTTP front over a temporary database, with a test clock
/// that starts at the real time (tokens are minted with real times).
struct Harness: Sendable {
    let directory: TemporaryDirectory
    let runtime: JobRuntime
    let clock: TestClock
    let front: HTTPFront
    let messaging: MessagingHub
    /// The Prometheus registry `/metrics` shows (the provider metrics report to it too).
    let metrics: FrontMetrics

    static func make(auth: AuthConfiguration = AuthConfiguration(publicKeyPEMs: [TestKeys.rsaPublicPEM]),
                     plans: PlanLimits = PlanLimits(plans: ["professional": .init(requestsPerSecond: 10_000, burst: 10_000)]),
                     limits: RequestLimits = RequestLimits(), llmConfiguration: LLMConfiguration = .development,
                     providers: (TestClock) -> [any LLMProvider] = { [SimulatedProvider(clock: $0)] },
                     limiter: ((TestClock) -> RateLimiter)? = nil,
                     workers: WorkerConfiguration = WorkerConfiguration(),
                     messaging: (TestClock) -> MessagingHub = { MessagingHub.development(clock: $0) },
                     publicBaseURL: String? = nil, developmentMode: Bool = false) async throws -> Harness {
        let directory = TemporaryDirectory()
        let clock = TestClock(now: Date())
        let metrics = FrontMetrics()
        // One attempt per provider: backoff sleeps on the test clock, which these tests do not turn.
        let llm = LLMService(configuration: llmConfiguration, providers: providers(clock), clock: clock,
                             limiter: limiter?(clock), retry: LLMRouter.Retry(attemptsPerTarget: 1),
                             metrics: ProviderMetrics(factory: metrics.factory))
        let hub = messaging(clock)
        let runtime = try await JobRuntime.open(
            RuntimeConfiguration(store: StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: directory.path)),
                                 workers: workers),
            registry: { JobCatalog.registry(llm: llm, messaging: hub, services: $0) }, migrations: JobCatalog.migrations, clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            onJobFinished: { job, outcome in
                metrics.jobFinished(job, outcome)
            })
        let verifier = try await TokenVerifier(configuration: auth, clock: clock)
        let front = HTTPFront(runtime: runtime,
                              configuration: FrontConfiguration(host: "127.0.0.1", port: 0, limits: limits, plans: plans, auth: auth,
                                                                internalAPIKey: TestKeys.internalKey, publicBaseURL: publicBaseURL,
                                                                developmentMode: developmentMode),
                              verifier: verifier, metrics: metrics, llm: llm, messaging: hub)
        return Harness(directory: directory, runtime: runtime, clock: clock, front: front, messaging: hub, metrics: metrics)
    }

    /// The application with the runtime as its service (so health reports it running).
    func application() -> some ApplicationProtocol {
        front.application(services: [runtime], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Runs `body` against the app in process (`.router`) or over a socket (`.live`), then closes the store.
    func test<Value: Sendable>(_ setup: TestingSetup = .router, _ body: @Sendable (any TestClientProtocol) async throws -> Value)
        async throws -> Value {
        do {
            let value = try await application().test(setup, body)
            await runtime.close()
            return value
        } catch {
            await runtime.close()
            throw error
        }
    }

    /// An RS256 token signed with the trusted test key.
    func token(tenant: String = TestKeys.tenant, sub: String = "user-1", plan: String = "professional",
               expiresIn: TimeInterval = 3_600) async throws -> String {
        try await Self.sign(AccessClaims(sub: sub, tenantId: tenant, roles: ["user"], planTier: plan, issuedAt: clock.now(),
                                         expiresAt: clock.now().addingTimeInterval(expiresIn)))
    }

    static func sign(_ claims: AccessClaims, pem: String = TestKeys.rsaPEM) async throws -> String {
        try await DevelopmentKeys.mintToken(signingKeyPEM: pem, claims: claims)
    }

    static func signHS256(_ claims: AccessClaims, secret: String = TestKeys.hsSecret) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }
}

/// The envelope of a response, parsed loosely for assertions.
struct ParsedEnvelope {
    let object: [String: Any]
    var data: Any? { object["data"].flatMap { $0 is NSNull ? nil : $0 } }
    var dataObject: [String: Any]? { data as? [String: Any] }
    var dataArray: [[String: Any]]? { data as? [[String: Any]] }
    var error: [String: Any]? { object["error"] as? [String: Any] }
    var errorCode: String? { error?["code"] as? String }
    var errorField: String? { (error?["details"] as? [String: Any])?["field"] as? String }
    var page: [String: Any]? { object["page"] as? [String: Any] }
    var meta: [String: Any]? { object["meta"] as? [String: Any] }

    init(_ response: TestResponse) throws {
        let parsed = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
        object = try #require(parsed as? [String: Any], "body is not a JSON object: \(String(buffer: response.body))")
    }

    /// Every envelope has exactly these four keys.
    var hasEnvelopeShape: Bool { Set(object.keys) == ["data", "error", "page", "meta"] }
}

extension TestClientProtocol {
    func get(_ uri: String, token: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await executeRequest(uri: uri, method: .get, headers: headers, body: nil)
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, internalKey: String? = nil,
              json: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let internalKey { headers[HTTPField.Name("x-internal-api-key")!] = internalKey }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await executeRequest(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Credits a wallet through the internal API.
    @discardableResult
    func credit(tenant: String, wallet: String = "team", amount: String, key: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await send(.post, "/llm-orch/v1/_internal/wallets/credit", internalKey: TestKeys.internalKey,
                              json: #"{"tenantId":"\#(tenant)","wallet":"\#(wallet)","amountUsd":"\#(amount)"}"#, headers: headers)
    }
}
