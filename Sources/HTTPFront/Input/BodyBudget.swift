import HTTPTypes
import Synchronization

/// The bytes of request bodies being read at once, across the process, and their bound: a
/// burst of large uploads (16 batch submissions of 60 MiB) cannot take the process's memory,
/// because a body is read only after its size (its `Content-Length`, else the largest body the
/// route accepts) fits in what is left; past it the request is answered 503 `unavailable`
/// with `Retry-After` before a byte of it is read. A `Mutex` guards the count: it is touched
/// twice per request, never held across an await.
public final class BodyBudget: Sendable {
    /// The bound, in bytes.
    public let capacity: Int
    private let inUse = Mutex<Int>(0)

    /// Seconds a refused client is told to wait.
    static let retryAfterSeconds = 1

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Bytes currently taken by bodies being read.
    public var used: Int { inUse.withLock { $0 } }

    /// Takes `bytes` of the budget, or throws 503 `unavailable` (with `Retry-After`) when they
    /// do not fit. A body larger than the whole budget is taken while nothing else is read, so
    /// a bound below the body limit still lets every body through, one at a time.
    func take(_ bytes: Int) throws(APIError) {
        let taken = inUse.withLock { used -> Bool in
            guard used == 0 || used + bytes <= capacity else { return false }
            used += bytes
            return true
        }
        guard taken else {
            throw APIError(.serviceUnavailable, "unavailable",
                           "too many request bodies are being read at once; retry in \(Self.retryAfterSeconds) s",
                           headers: [(.retryAfter, String(Self.retryAfterSeconds))])
        }
    }

    /// Gives back what `take` took.
    func giveBack(_ bytes: Int) {
        inUse.withLock { $0 = max(0, $0 - bytes) }
    }

    /// Runs `read` with `bytes` of the budget taken, giving them back after, whatever happens.
    func reading<Value>(_ bytes: Int, _ read: () async throws -> Value) async throws -> Value {
        try take(bytes)
        defer { giveBack(bytes) }
        return try await read()
    }
}
