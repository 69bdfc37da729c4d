/// Limits that protect the server from oversized and slow requests.
public struct RequestLimits: Sendable {
    /// Largest request body read (413 `payload_too_large` above it).
    public var maxBodyBytes: Int
    /// Largest body of a batch submission (up to 50,000 items).
    public var maxBatchBodyBytes: Int
    /// Largest total of request header bytes (the connection is refused above it).
    public var maxHeaderBytes: Int
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: Duration
    /// A request body must arrive completely within this long (408 `request_timeout`, checked as
    /// each chunk arrives; a body that stops arriving is cut by `idleTimeout`).
    public var bodyReadTimeout: Duration
    /// The bound on the bytes of bodies read at once, across the process (shared by every copy
    /// of these limits; 503 `unavailable` with `Retry-After` past it).
    public var bodyBudget: BodyBudget

    public init(maxBodyBytes: Int = 1 << 20, maxBatchBodyBytes: Int = 64 << 20, maxHeaderBytes: Int = 32 * 1024, idleTimeout: Duration = .seconds(60),
                bodyReadTimeout: Duration = .seconds(30), bodyBudgetBytes: Int = 256 << 20) {
        bodyBudget = BodyBudget(capacity: bodyBudgetBytes)
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchBodyBytes = max(maxBodyBytes, maxBatchBodyBytes)
        self.maxHeaderBytes = maxHeaderBytes
        self.idleTimeout = idleTimeout
        self.bodyReadTimeout = bodyReadTimeout
    }

    /// The same limits with the batch body limit as the body limit.
    var forBatches: RequestLimits {
        var limits = self
        limits.maxBodyBytes = maxBatchBodyBytes
        return limits
    }
}
