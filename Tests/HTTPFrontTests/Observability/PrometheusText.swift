import HummingbirdTesting
import Testing

/// A `/metrics` scrape, read for assertions: a sample's value by name and labels.
struct PrometheusText {
    let text: String

    static func scrape(_ client: any TestClientProtocol) async throws -> PrometheusText {
        let response = try await client.get("/metrics")
        #expect(response.status == .ok)
        return PrometheusText(text: String(buffer: response.body))
    }

    /// The value of the sample `name{labels}` (exactly those labels, in any order); nil when absent.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let rest = line.dropFirst(name.count)
            guard let space = rest.lastIndex(of: " ") else { continue }
            let series = rest[..<space], value = rest[rest.index(after: space)...]
            var found: [String: String] = [:]
            if series.hasPrefix("{") && series.hasSuffix("}") {
                for pair in series.dropFirst().dropLast().split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    found[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            } else if !series.isEmpty {
                continue
            }
            if found == labels { return Double(value) }
        }
        return nil
    }
}
