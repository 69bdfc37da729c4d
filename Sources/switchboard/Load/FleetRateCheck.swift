import AsyncHTTPClient
import Foundation

/// The load check's "no provider's requests-per-minute limit was exceeded, by the whole fleet":
/// the limits are the `requestsPerMinute` of the config file's LLM providers, by the model their
/// routes call; the calls are the mock provider's record of when each arrived. The calls of a
/// model must conform to the limit as the server's limiter reads it (GCRA: the whole limit at
/// once after a rest, then a steady refill), allowed a second of the rate per instance for
/// what a shared lease may shift (leases live half a second) and the trip to the mock.
struct FleetRateCheck: Sendable {
    /// Requests per minute by the model the limited provider is called with.
    let limits: [String: Int]
    /// The use cases the config routes.
    let useCases: Set<String>

    init(limits: [String: Int], useCases: Set<String> = []) {
        self.limits = limits
        self.useCases = useCases
    }

    init(configFile path: String?) throws {
        guard let path, let llm = try ConfigFile.load(path).llm else {
            limits = [:]
            useCases = []
            return
        }
        useCases = Set(llm.routes.keys)
        let rpm = Dictionary(llm.providers.compactMap { provider in provider.requestsPerMinute.map { (provider.id, $0) } },
                             uniquingKeysWith: min)
        var limits: [String: Int] = [:]
        for target in llm.routes.values.joined() {
            guard let limit = rpm[target.provider] else { continue }
            limits[target.model] = min(limits[target.model] ?? limit, limit)
        }
        self.limits = limits
    }

    /// Whether the config routes any model to a provider with a limit (else there is nothing to check).
    var isEmpty: Bool { limits.isEmpty }

    /// The violations among `times` (milliseconds since 1970, by model) for a fleet of `instances`.
    func violations(_ times: [String: [Int64]], instances: Int) -> [String] {
        var problems: [String] = []
        for (model, limit) in limits.sorted(by: { $0.key < $1.key }) {
            let calls = (times[model] ?? []).sorted()
            let emission = 60_000 / Double(limit)
            let slack = Double(instances) * (Double(limit) / 60).rounded(.up) + 1
            let tolerance = (Double(limit) + slack) * emission
            var tat = 0.0, over = 0, first: Int64?
            for time in calls {
                let now = Double(time)
                tat = max(tat, now) + emission
                if tat - now > tolerance {
                    over += 1
                    first = first ?? time
                    tat -= emission  // the limiter would not have admitted it: do not count it twice
                }
            }
            if over > 0, let first {
                problems.append("\(over) of \(calls.count) calls to \(model) went past its limit of \(limit) requests per minute "
                                + "across the fleet (the first at \(Date(timeIntervalSince1970: Double(first) / 1_000)))")
            }
        }
        return problems
    }

    /// The mock's record: when each completion call arrived, by model.
    static func callTimes(_ http: HTTPClient, mockURL: String) async throws -> [String: [Int64]] {
        let response = try await http.execute(HTTPClientRequest(url: mockURL + "/_mock/call-times"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 << 20)
        let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: [NSNumber]] ?? [:]
        return json.mapValues { $0.map(\.int64Value) }
    }

    /// The busiest minute of `times`: the most calls in any 60 s window.
    static func busiestMinute(_ times: [Int64]) -> Int {
        let sorted = times.sorted()
        var start = 0, best = 0
        for end in sorted.indices {
            while sorted[end] - sorted[start] >= 60_000 { start += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }
}
