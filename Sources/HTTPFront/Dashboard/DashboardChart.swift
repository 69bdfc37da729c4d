import Foundation

/// One chart of the overview as inline SVG: a polyline per series over the last points,
/// scaled to the largest value. The page's script redraws the same shapes from live points, so
/// the server's first drawing and the script's agree.
struct DashboardChart {
    static let width = 300.0
    static let height = 80.0

    var key: String
    var title: String
    var unit: String
    var series: [(name: String, values: [Double])]

    var values: [String: Any] {
        let peak = max(series.flatMap(\.values).max() ?? 0, 1e-9)
        let lines = series.enumerated().map { index, series in
            ["name": series.name, "index": index, "points": Self.points(series.values, peak: peak),
             "current": DashboardFormat.rate(series.values.last ?? 0)] as [String: Any]
        }
        return ["key": key, "title": title, "unit": unit, "lines": lines, "peak": DashboardFormat.rate(peak == 1e-9 ? 0 : peak),
                "width": Self.width, "height": Self.height]
    }

    static func points(_ values: [Double], peak: Double) -> String {
        guard values.count > 1 else { return "" }
        let step = width / Double(values.count - 1)
        return values.enumerated().map { index, value in
            String(format: "%.1f,%.1f", Double(index) * step, height - 2 - (value / peak) * (height - 4))
        }.joined(separator: " ")
    }

    static func charts(_ points: [DashboardActivity.Point]) -> [DashboardChart] {
        let recent = Array(points.suffix(120))
        let kinds = Set(recent.flatMap { $0.jobsPerSecond.filter { $0.value > 0 }.keys }).sorted()
        return [
            DashboardChart(key: "throughput", title: "Jobs finished per second, by kind", unit: "/s",
                           series: kinds.map { kind in (kind, recent.map { $0.jobsPerSecond[kind] ?? 0 }) }),
            DashboardChart(key: "completions", title: "Completions and messages per second", unit: "/s",
                           series: [("completions", recent.map(\.completionsPerSecond)), ("messages", recent.map(\.messagesPerSecond))]),
            DashboardChart(key: "spend", title: "Spend per minute (USD)", unit: "$/min", series: [("spend", recent.map(\.spendPerMinuteUSD))]),
            DashboardChart(key: "depth", title: "Queue depth", unit: "jobs",
                           series: ["queued", "scheduled", "running"].map { state in (state, recent.map { Double($0.depth[state] ?? 0) }) }),
            DashboardChart(key: "errors", title: "Error rate", unit: "%", series: [("errors", recent.map { $0.errorRate * 100 })]),
        ]
    }

    /// A point as the script reads it.
    static func json(_ point: DashboardActivity.Point) -> String {
        struct Wire: Encodable {
            var at: Double
            var throughput: [String: Double]
            var completions: [String: Double]
            var spend: [String: Double]
            var depth: [String: Double]
            var errors: [String: Double]
        }
        let wire = Wire(at: point.at.timeIntervalSince1970, throughput: point.jobsPerSecond,
                        completions: ["completions": point.completionsPerSecond, "messages": point.messagesPerSecond],
                        spend: ["spend": point.spendPerMinuteUSD], depth: point.depth.mapValues(Double.init),
                        errors: ["errors": point.errorRate * 100])
        let data = (try? JSONEncoder().encode(wire)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
