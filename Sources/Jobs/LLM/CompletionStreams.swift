import Synchronization

/// Carries a streamed completion's deltas from its job to the request that waits for them, by
/// the job's unique key. The request opens the stream before enqueueing; the job sends into it
/// while it runs (a job whose request is gone, or that runs after a restart, sends to nobody)
/// and finishes it at the end.
public final class CompletionStreams: Sendable {
    private let open = Mutex<[String: AsyncStream<String>.Continuation]>([:])

    public init() {}

    /// A stream for the job with `key`; it ends when the job finishes or `close` is called.
    public func open(_ key: String) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        self.open.withLock { $0[key] = continuation }
        return stream
    }

    public func send(_ delta: String, to key: String?) {
        guard let key, let continuation = open.withLock({ $0[key] }) else { return }
        continuation.yield(delta)
    }

    /// Ends the stream of `key` (the job is done, or the request went away).
    public func close(_ key: String?) {
        guard let key else { return }
        open.withLock { $0.removeValue(forKey: key) }?.finish()
    }
}
