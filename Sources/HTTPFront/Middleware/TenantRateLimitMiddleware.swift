import Hummingbird
import Runtime

/// Per-tenant request rate limit by plan tier (GCRA, in memory; with a shared budget, for the
/// whole fleet on the database). Over the limit: 429
/// `rate_limited` with `Retry-After` and the IETF draft `RateLimit` / `RateLimit-Policy` headers.
/// Every answer carries `RateLimit-Policy` so clients can pace themselves.
struct TenantRateLimitMiddleware: RouterMiddleware {
    typealias Context = TenantRequestContext
    let limiter: RateLimiter
    let plans: PlanLimits
    /// `RateLimit-Policy` of each configured plan, rendered once.
    let policies: [String: String]

    static func policy(_ plan: String, _ limit: PlanLimits.Limit) -> String { "\"\(plan)\";q=\(limit.burst);w=1" }

    init(plans: PlanLimits, clock: any WallClock, shared: SharedRateBudget? = nil) {
        self.plans = plans
        policies = plans.plans.reduce(into: [:]) { $0[$1.key] = Self.policy($1.key, $1.value) }
        limiter = RateLimiter(clock: clock, shared: shared) { key in
            // Keys are "<plan>\u{1F}<tenant>": the plan is part of the key, so a tenant's tokens of
            // two plans get their own buckets and the resolver needs no lookup.
            let plan = String(key.prefix { $0 != "\u{1F}" })
            let limit = plans.limit(for: plan)
            return [.requests(limit.requestsPerSecond, per: .seconds(1), burst: limit.burst)]
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let principal = context.principal
        let limit = plans.limit(for: principal.plan)
        let policy = policies[principal.plan] ?? Self.policy(principal.plan, limit)
        let decision = (try? await limiter.admit(key: principal.plan + "\u{1F}" + principal.tenant)) ?? .admitted
        if let wait = decision.retryAfter {
            let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
            throw APIError.rateLimited(retryAfterSeconds: seconds, "the \(principal.plan) plan allows \(limit.requestsPerSecond) requests per second",
                                       headers: [(.rateLimitPolicy, policy), (.rateLimit, "\"\(principal.plan)\";r=0;t=\(seconds)")])
        }
        var response = try await next(request, context)
        response.headers[.rateLimitPolicy] = policy
        return response
    }
}
