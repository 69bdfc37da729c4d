import Synchronization

/// One stripe of the limiter's keys, behind its own lock. Keys whose quotas came from the
/// resolver are forgotten once idle (see `LimitedKey.isIdle`), by a sweep that runs when the
/// stripe has doubled since the last one, so memory follows the keys in use, not every key ever
/// seen, at an amortised constant cost per new key.
final class RateLimiterShard: Sendable {
    struct State {
        var keys: [String: LimitedKey] = [:]
        /// The key count at which inserting sweeps idle keys first.
        var sweepAt = RateLimiterShard.smallestSweep

        /// Runs `body` on the key's state, if the key is known.
        mutating func withKey<R>(_ key: String, _ body: (inout LimitedKey) -> R) -> R? {
            guard let index = keys.index(forKey: key) else { return nil }
            return body(&keys.values[index])
        }

        /// Runs `body` on the key's state, adding `fresh` first if the key is unknown.
        mutating func withKey<R>(_ key: String, orAdding fresh: LimitedKey, now: Int64,
                                 _ body: (inout LimitedKey) -> R) -> R {
            if let index = keys.index(forKey: key) { return body(&keys.values[index]) }
            if keys.count >= sweepAt {
                sweep(now: now)
                sweepAt = max(RateLimiterShard.smallestSweep, keys.count * 2)
            }
            var state = fresh
            let result = body(&state)
            keys[key] = state
            return result
        }

        /// Forgets idle keys; returns how many.
        @discardableResult
        mutating func sweep(now: Int64) -> Int {
            let before = keys.count
            keys = keys.filter { !$0.value.isIdle(now: now) }
            return before - keys.count
        }
    }

    /// Keys a stripe holds before its first sweep.
    static let smallestSweep = 512

    let state = Mutex(State())
}
