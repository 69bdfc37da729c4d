/// What `IdempotencyStore.begin` decided for a request, atomically with any mark it made.
public enum IdempotencyDecision: Sendable, Equatable {
    /// The key is free (first use, the previous holder's lease expired, or the previous
    /// record expired): it is now in flight under this process's lease. Process the request,
    /// then `complete` or `abandon` the key.
    case proceed
    /// The request already completed with the same fingerprint: send this response again
    /// (the HTTP layer adds `Idempotency-Replayed: true`) and do nothing else.
    case replay(StoredResponse)
    /// The same request is still in flight under a live lease (here or in another process): 409.
    case conflict
    /// The key is held (in flight or completed) for a different request: 422.
    case mismatch
}
