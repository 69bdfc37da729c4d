/// How long idempotency records live and who holds their leases. Defaults suit one server
/// process: keys kept 24 h, in-flight marks leased for 60 s.
public struct IdempotencyConfiguration: Sendable {
    /// How long a completed response is kept (from its completion); after that the key is
    /// free and `purgeExpired` deletes the row. At least 1 ms.
    public var ttl: Duration
    /// How long an in-flight mark holds the key: a process that dies while processing frees
    /// the key this long after `begin`. Longer than the slowest request. At least 1 ms.
    public var leaseDuration: Duration
    /// This process's name on the leases it holds; nil makes one from host, pid and a random
    /// suffix. Two processes on one database must not share it.
    public var owner: String?

    public init(ttl: Duration = .seconds(24 * 60 * 60), leaseDuration: Duration = .seconds(60), owner: String? = nil) {
        self.ttl = max(ttl, .milliseconds(1))
        self.leaseDuration = max(leaseDuration, .milliseconds(1))
        self.owner = owner
    }
}
