import ArgumentParser
import Foundation
import Histogram

/// `switchboard bench …`: measurements that print a human line and, last, one JSON line.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the runtime; each benchmark prints a human summary and, last, one JSON line.",
        subcommands: [QueueBenchmark.self, GuardsBenchmark.self, InferenceBenchmark.self, MessagesBenchmark.self]
    )
}

/// A fresh directory for a benchmark's database inside the data directory (so it measures
/// the disk the server would use), removed by `remove()`.
struct ScratchDirectory {
    let path: String

    init(in parent: String, prefix: String) throws {
        path = (parent as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

extension Histogram<UInt64> {
    /// The value at `percentile` of a histogram of microseconds, in milliseconds.
    func milliseconds(atPercentile percentile: Double) -> Double { Double(valueAtPercentile(percentile)) / 1_000 }
}

/// Prints one JSON object on a line of its own, keys in a stable order.
func printJSONLine(_ fields: KeyValuePairs<String, any Sendable>) {
    let body = fields.map { key, value -> String in
        switch value {
        case let text as String: "\"\(key)\":\"\(text)\""
        case is NSNull: "\"\(key)\":null"
        case let number as Double: "\"\(key)\":\((number * 100).rounded() / 100)"
        default: "\"\(key)\":\(value)"
        }
    }
    print("{" + body.joined(separator: ",") + "}")
}

/// Runs `body(0..<total)` with `concurrency` calls in flight; returns the elapsed seconds and a
/// histogram of each call's latency in microseconds.
func runConcurrently(total: Int, concurrency: Int, _ body: @escaping @Sendable (Int) async throws -> Void)
    async throws -> (seconds: Double, latency: Histogram<UInt64>) {
    let start = ContinuousClock.now
    let latency = try await withThrowingTaskGroup(of: Histogram<UInt64>.self) { group in
        let lanes = min(concurrency, total)
        for lane in 0..<lanes {
            group.addTask {
                var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
                var index = lane
                while index < total {
                    let began = ContinuousClock.now
                    try await body(index)
                    _ = histogram.record(UInt64((ContinuousClock.now - began).seconds * 1_000_000))
                    index += lanes
                }
                return histogram
            }
        }
        var merged = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        for try await histogram in group { merged.add(histogram) }
        return merged
    }
    return ((ContinuousClock.now - start).seconds, latency)
}
