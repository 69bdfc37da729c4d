public import Runtime

extension RateLimiter {
    /// Pauses `key` for as long as a provider's response headers ask (see `ProviderBackoff`)
    /// and returns that duration; does nothing and returns nil when they ask nothing.
    @discardableResult
    public func pause(key: String, responseHeaders headers: [String: String],
                      cap: Duration = ProviderBackoff.defaultCap) -> Duration? {
        guard let duration = ProviderBackoff.pause(fromHeaders: headers, now: clock.now(), cap: cap) else { return nil }
        pause(key: key, for: duration)
        return duration
    }
}
