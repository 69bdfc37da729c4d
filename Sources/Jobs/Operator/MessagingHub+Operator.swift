/// What the operator dashboard reads of the messaging providers beyond `statuses()`.
extension MessagingHub {
    /// How long the provider's limiter stays paused (after the provider answered 429); nil when it is not.
    public func limiterPause(provider: String) -> Duration? {
        limiter.pauseRemaining(key: Self.limiterKey(provider))
    }
}
