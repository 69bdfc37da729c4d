import Synchronization

/// Metric objects made once per label set and kept: a call takes one uncontended lock for a
/// dictionary lookup and bumps what it found, instead of asking the metrics factory for a new
/// handler (which takes the factory's own lock and allocates) on every call.
final class MetricCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    private let make: @Sendable (Key) -> Value

    init(_ make: @escaping @Sendable (Key) -> Value) {
        self.make = make
    }

    subscript(_ key: Key) -> Value {
        entries.withLock { entries in
            if let found = entries[key] { return found }
            let made = make(key)
            entries[key] = made
            return made
        }
    }
}

extension Duration {
    /// Whole nanoseconds, for `Timer.recordNanoseconds`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? Int64.max : product + attoseconds / 1_000_000_000
    }
}
