import Foundation

/// p50 and p99 of provider calls, estimated from the cumulative buckets of the latency
/// histograms in `/metrics` (as Prometheus' `histogram_quantile` does: linear within the
/// bucket the rank falls in). Counts are since the process started.
struct ProviderLatency {
    static let llmSeries = "switchboard_provider_request_duration_seconds_bucket"
    static let messagingSeries = "switchboard_messaging_send_duration_seconds_bucket"

    /// Cumulative counts by series, provider and upper bound.
    private var buckets: [String: [String: [(bound: Double, count: Double)]]] = [:]

    init(registryText: String) {
        for line in registryText.split(separator: "\n") where line.hasPrefix("switchboard_") {
            guard let brace = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { continue }
            let series = String(line[..<brace])
            guard series == Self.llmSeries || series == Self.messagingSeries else { continue }
            let labels = Self.labels(line[line.index(after: brace)..<close])
            guard let provider = labels["provider"], let le = labels["le"],
                  let count = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)) else { continue }
            let bound = le == "+Inf" ? Double.infinity : Double(le) ?? .infinity
            buckets[series, default: [:]][provider, default: []].append((bound, count))
        }
    }

    /// Calls and their p50 and p99 in seconds; nil when the provider has had no call.
    func figures(provider: String, series: String = llmSeries) -> (count: Int, p50: Double, p99: Double)? {
        guard let list = buckets[series]?[provider] else { return nil }
        // Several label sets (models, channels) per provider: add their buckets up by bound.
        var merged: [Double: Double] = [:]
        for entry in list { merged[entry.bound, default: 0] += entry.count }
        let sorted = merged.sorted { $0.key < $1.key }
        guard let total = sorted.last?.value, total > 0 else { return nil }
        return (Int(total), Self.quantile(0.5, sorted, total: total), Self.quantile(0.99, sorted, total: total))
    }

    private static func quantile(_ q: Double, _ sorted: [(key: Double, value: Double)], total: Double) -> Double {
        let rank = q * total
        var lowerBound = 0.0, lowerCount = 0.0
        for (bound, count) in sorted {
            if count >= rank {
                if bound.isInfinite { return lowerBound }
                let inBucket = count - lowerCount
                return inBucket > 0 ? lowerBound + (bound - lowerBound) * (rank - lowerCount) / inBucket : bound
            }
            lowerBound = bound
            lowerCount = count
        }
        return lowerBound
    }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1_000) }

    private static func labels(_ text: Substring) -> [String: String] {
        var labels: [String: String] = [:]
        var rest = text[...]
        while let equals = rest.firstIndex(of: "=") {
            let name = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: ", "))
            let afterQuote = rest.index(equals, offsetBy: 2, limitedBy: rest.endIndex) ?? rest.endIndex
            guard let endQuote = rest[afterQuote...].firstIndex(of: "\"") else { break }
            labels[name] = String(rest[afterQuote..<endQuote])
            rest = rest[rest.index(after: endQuote)...]
        }
        return labels
    }
}
