import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Jobs
import Runtime

/// The operator dashboard at `/dashboard`: server-rendered pages over the runtime, signed in
/// with the internal API key. Holds what its pages need; the routes are in `Dashboard+*.swift`.
struct Dashboard: Sendable {
    static let base = "/dashboard"
    static let sessionCookie = "sb_session"
    static let signInCookie = "sb_signin"

    let runtime: JobRuntime
    let llm: LLMService
    let messaging: MessagingHub
    let messages: Messages
    let batches: InferenceBatches
    let metrics: FrontMetrics
    let templates: DashboardTemplates
    let sessions: DashboardSessions
    let throttle: SignInThrottle
    let queries: DashboardQueries
    /// SHA-256 of the internal API key: digests compare in constant time.
    let keyDigest: SHA256.Digest
    /// `Secure` on cookies (everywhere but development mode).
    let secureCookies: Bool

    init(runtime: JobRuntime, llm: LLMService, messaging: MessagingHub, messages: Messages, batches: InferenceBatches,
         metrics: FrontMetrics, configuration: FrontConfiguration) {
        self.batches = batches
        self.runtime = runtime
        self.llm = llm
        self.messaging = messaging
        self.messages = messages
        self.metrics = metrics
        templates = DashboardTemplates.load()
        sessions = DashboardSessions(clock: runtime.clock)
        throttle = SignInThrottle(clock: runtime.clock)
        queries = DashboardQueries(backend: runtime.backend)
        keyDigest = SHA256.hash(data: Data(configuration.internalAPIKey.utf8))
        secureCookies = !configuration.developmentMode
    }

    /// Whether `given` is the internal API key (digests compared in constant time).
    func isInternalKey(_ given: String) -> Bool {
        SHA256.hash(data: Data(given.utf8)) == keyDigest
    }

    /// Whether two tokens are equal, in time that does not depend on where they differ.
    static func tokensMatch(_ given: String?, _ expected: String) -> Bool {
        guard let given, !expected.isEmpty else { return false }
        return SHA256.hash(data: Data(given.utf8)) == SHA256.hash(data: Data(expected.utf8))
    }

    /// The signed-in session of `request`, or nil.
    func session(of request: Request) -> DashboardSessions.Session? {
        sessions.session(request.cookies[Self.sessionCookie]?.value)
    }

    func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: Self.base, secure: secureCookies, httpOnly: true, sameSite: .strict)
    }
}
