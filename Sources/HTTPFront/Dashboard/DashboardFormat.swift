import Foundation
import Runtime

/// How the dashboard writes values: money in USD, times in UTC, durations in words.
enum DashboardFormat {
    static func usd(_ microUSD: Int64) -> String { "$" + MicroUSD(microUSD).usdString }

    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return date.ISO8601Format(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
            .replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// "3 s", "4 min", "2 h" from now (negative: ago).
    static func relative(_ date: Date?, now: Date) -> String {
        guard let date else { return "—" }
        let seconds = Int(date.timeIntervalSince(now).rounded())
        let magnitude = abs(seconds)
        let text = magnitude < 120 ? "\(magnitude) s" : magnitude < 7_200 ? "\(magnitude / 60) min" : "\(magnitude / 3_600) h"
        return seconds >= 0 ? "in \(text)" : "\(text) ago"
    }

    static func rate(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.0f", value) }
}
