import Foundation
import Histogram
import Synchronization

/// What a load run saw, per operation: counts by status (`transport` when no answer came),
/// latency (HDR histogram, microseconds), and the acknowledged work the invariant check follows up.
final class LoadStats: Sendable {
    struct Operation {
        var count = 0
        var statuses: [String: Int] = [:]
        var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Work the server acknowledged (2xx/202), which must be durable.
    struct Acknowledged {
        var jobs: [String: String] = [:]  // job id → tenant
        var batches: [String: String] = [:]
        var messages: [String: String] = [:]
        /// Every request sent with an Idempotency-Key and resent after a failure, with each try.
        var keyed: [KeyedRequest] = []
        /// Requests that should have been refused but were not, and other broken promises seen while running.
        var violations: [String] = []
    }

    private let operations = Mutex<[String: Operation]>([:])
    private let acknowledged = Mutex(Acknowledged())

    func record(_ operation: String, status: String, microseconds: UInt64) {
        operations.withLock { all in
            var entry = all[operation] ?? Operation()
            entry.count += 1
            entry.statuses[status, default: 0] += 1
            _ = entry.latency.record(max(1, microseconds))
            all[operation] = entry
        }
    }

    func acknowledge(_ update: (inout Acknowledged) -> Void) { acknowledged.withLock { update(&$0) } }

    var snapshot: [String: Operation] { operations.withLock { $0 } }
    var work: Acknowledged { acknowledged.withLock { $0 } }

    /// Requests so far, errors (5xx and transport) so far, and the p99 over all operations in ms.
    var progress: (requests: Int, errors: Int, p99: Double) {
        operations.withLock { all in
            var merged = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
            var requests = 0, errors = 0
            for entry in all.values {
                requests += entry.count
                errors += entry.statuses.filter { $0.key == "transport" || $0.key.hasPrefix("5") }.values.reduce(0, +)
                merged.add(entry.latency)
            }
            return (requests, errors, Double(merged.valueAtPercentile(99)) / 1_000)
        }
    }
}
