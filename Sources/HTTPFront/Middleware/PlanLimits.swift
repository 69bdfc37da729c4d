/// Request rate limits per plan tier (`planTier` claim). A plan not listed gets `fallback`.
public struct PlanLimits: Sendable {
    public struct Limit: Sendable, Equatable, Codable {
        public var requestsPerSecond: Int
        public var burst: Int

        public init(requestsPerSecond: Int, burst: Int) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
        }
    }

    public var plans: [String: Limit]
    public var fallback: Limit

    public init(plans: [String: Limit] = PlanLimits.defaultPlans, fallback: Limit = Limit(requestsPerSecond: 10, burst: 20)) {
        self.plans = plans
        self.fallback = fallback
    }

    public static let defaultPlans: [String: Limit] = [
        "free": Limit(requestsPerSecond: 10, burst: 20),
        "starter": Limit(requestsPerSecond: 50, burst: 100),
        "professional": Limit(requestsPerSecond: 200, burst: 400),
        "enterprise": Limit(requestsPerSecond: 1_000, burst: 2_000),
    ]

    public func limit(for plan: String) -> Limit { plans[plan] ?? fallback }
}
