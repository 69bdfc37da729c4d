import Foundation
import Runtime
import Synchronization

/// Counts failed dashboard sign-ins per client address in a sliding window: after `limit`
/// failures within `window`, the address is refused (429) until the oldest failure leaves the
/// window. On the runtime's clock, so tests move time instead of sleeping.
final class SignInThrottle: Sendable {
    let limit: Int
    let window: Duration
    private let clock: any WallClock
    private let failures = Mutex<[String: [Date]]>([:])

    init(clock: any WallClock, limit: Int = 5, window: Duration = .seconds(60)) {
        self.clock = clock
        self.limit = limit
        self.window = window
    }

    /// Seconds until `address` may try again; nil when it may now.
    func retryAfter(_ address: String) -> Int? {
        let now = clock.now()
        let cutoff = now.addingTimeInterval(-window.timeInterval)
        return failures.withLock { failures in
            let recent = (failures[address] ?? []).filter { $0 > cutoff }
            failures[address] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return max(1, Int((oldest.timeIntervalSince(cutoff)).rounded(.up)))
        }
    }

    /// Records a failed attempt from `address`.
    func failed(_ address: String) {
        let now = clock.now()
        failures.withLock { failures in
            if failures.count > 10_000 { failures = failures.filter { $0.value.contains { now.timeIntervalSince($0) < window.timeInterval } } }
            failures[address, default: []].append(now)
        }
    }
}
