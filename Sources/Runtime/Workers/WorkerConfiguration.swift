/// How the worker pool claims and runs jobs. The defaults suit one server process.
public struct WorkerConfiguration: Sendable {
    /// Jobs running at once in this process, across all kinds.
    public var maxInFlight: Int
    /// While a backlog exists, claim again only once this many slots are free (fewer, larger
    /// claims); with no backlog any free slot claims at once.
    public var claimThreshold: Int
    /// How long a claimed job's lease lasts without a heartbeat.
    public var leaseDuration: Duration
    /// How often running jobs' leases are renewed.
    public var heartbeatInterval: Duration
    /// How often expired leases (jobs of vanished workers) are looked for.
    public var recoveryInterval: Duration
    /// A job whose worker vanished more than this many times goes `dead` (poison job).
    public var maxRecoveries: Int
    /// On shutdown, how long in-flight jobs may take to finish before they are cancelled
    /// and released back to the queue.
    public var shutdownGrace: Duration
    /// Finished jobs (succeeded, failed, dead, cancelled) created longer ago than this are
    /// deleted by the housekeeping pass; nil keeps them forever.
    public var finishedJobRetention: Duration?
    /// A tenant's share of each claim round relative to others (default: equal shares).
    public var tenantWeight: @Sendable (String) -> Int
    /// The longest an idle pool waits before it looks for work again; nil takes the backend's
    /// (`Backend.idleRecheck`: none on SQLite, where only this process queues work).
    public var idleRecheck: Duration?

    public init(maxInFlight: Int = 256, claimThreshold: Int? = nil, leaseDuration: Duration = .seconds(30),
                heartbeatInterval: Duration = .seconds(10), recoveryInterval: Duration = .seconds(15),
                maxRecoveries: Int = 3, shutdownGrace: Duration = .seconds(25),
                finishedJobRetention: Duration? = .seconds(7 * 86_400),
                tenantWeight: @escaping @Sendable (String) -> Int = { _ in 1 }, idleRecheck: Duration? = nil) {
        self.idleRecheck = idleRecheck
        self.maxInFlight = max(1, maxInFlight)
        self.claimThreshold = min(self.maxInFlight, max(1, claimThreshold ?? self.maxInFlight / 4))
        self.leaseDuration = leaseDuration
        self.heartbeatInterval = heartbeatInterval
        self.recoveryInterval = recoveryInterval
        self.maxRecoveries = max(0, maxRecoveries)
        self.shutdownGrace = shutdownGrace
        self.finishedJobRetention = finishedJobRetention
        self.tenantWeight = tenantWeight
    }
}
