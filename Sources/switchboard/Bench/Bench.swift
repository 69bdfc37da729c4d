import ArgumentParser
import Foundation

/// `switchboard bench …`: measurements that print a human line and, last, one JSON line.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the runtime; each benchmark prints a human summary and, last, one JSON line.",
        subcommands: [QueueBenchmark.self]
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

/// Prints one JSON object on a line of its own, keys in a stable order.
func printJSONLine(_ fields: KeyValuePairs<String, any Sendable>) {
    let body = fields.map { key, value -> String in
        switch value {
        case let text as String: "\"\(key)\":\"\(text)\""
        case let number as Double: "\"\(key)\":\((number * 100).rounded() / 100)"
        default: "\"\(key)\":\(value)"
        }
    }
    print("{" + body.joined(separator: ",") + "}")
}
