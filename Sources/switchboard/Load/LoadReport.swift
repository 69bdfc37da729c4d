import Foundation
import Histogram

/// A load run's report: per operation, count, rate, p50/p95/p99/max latency and statuses; the
/// `/metrics` series that moved; the invariant check's verdict. As text and as JSON.
struct LoadReport {
    let stats: LoadStats
    let seconds: Double
    let violations: [String]
    let checked: Bool
    let metricDeltas: [(String, Double)]

    /// The job, queue and wallet series, and the provider, relay and limiter counters (and
    /// histogram counts), whose value changed during the run. (`/metrics` starts from zero in
    /// each server process: after a kill -9 these are the last process's only.)
    static func deltas(before: [String: Double], after: [String: Double]) -> [(String, Double)] {
        after.compactMap { series, value -> (String, Double)? in
            let counted = ["switchboard_provider_", "switchboard_messaging_", "switchboard_rate_limiter_"].contains { series.hasPrefix($0) }
                && (series.contains("_total") || series.contains("_count"))
            guard counted || series.hasPrefix("switchboard_jobs_finished_total") || series.hasPrefix("switchboard_queue_depth")
                || series.hasPrefix("switchboard_wallet_") || series.hasPrefix("switchboard_circuit_breaker_state") else { return nil }
            let delta = value - (before[series] ?? 0)
            return delta == 0 ? nil : (series, delta)
        }.sorted { $0.0 < $1.0 }
    }


    var text: String {
        var lines = [String(format: "load: %.1f s", seconds), "operation            count     rate/s    p50 ms    p95 ms    p99 ms    max ms  statuses"]
        var total = 0
        for (name, operation) in stats.snapshot.sorted(by: { $0.key < $1.key }) {
            total += operation.count
            let statuses = operation.statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
            lines.append(name.padding(toLength: 16, withPad: " ", startingAt: 0)
                + String(format: " %9d %10.1f %9.2f %9.2f %9.2f %9.2f  ", operation.count, Double(operation.count) / seconds,
                         operation.latency.milliseconds(atPercentile: 50), operation.latency.milliseconds(atPercentile: 95),
                         operation.latency.milliseconds(atPercentile: 99), Double(operation.latency.max) / 1_000)
                + statuses)
        }
        lines.append(String(format: "all              %9d %10.1f", total, Double(total) / seconds))
        let work = stats.work
        lines.append("acknowledged: \(work.jobs.count) jobs, \(work.batches.count) batches, \(work.messages.count) messages")
        lines.append(Resends(work.keyed).text)
        if !metricDeltas.isEmpty {
            lines.append("metrics that moved:")
            lines += metricDeltas.map { "  \($0.0) \($0.1 > 0 ? "+" : "")\(Int($0.1))" }
        }
        if checked {
            lines.append(violations.isEmpty ? "invariants: all hold" : "invariants: \(violations.count) VIOLATED")
            lines += violations.prefix(50).map { "  ✗ \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    var json: Data {
        var operations: [String: Any] = [:]
        for (name, operation) in stats.snapshot {
            operations[name] = ["count": operation.count, "ratePerSec": Double(operation.count) / seconds,
                                "p50Ms": operation.latency.milliseconds(atPercentile: 50),
                                "p95Ms": operation.latency.milliseconds(atPercentile: 95),
                                "p99Ms": operation.latency.milliseconds(atPercentile: 99),
                                "maxMs": Double(operation.latency.max) / 1_000, "statuses": operation.statuses]
        }
        let work = stats.work
        let object: [String: Any] = [
            "seconds": seconds, "operations": operations,
            "acknowledged": ["jobs": work.jobs.count, "batches": work.batches.count, "messages": work.messages.count],
            "keyedResends": Resends(work.keyed).json,
            "metricDeltas": Dictionary(metricDeltas, uniquingKeysWith: { first, _ in first }),
            "invariantsChecked": checked, "violations": violations,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
    }
}

/// What the keyed requests' resends came to: how many requests needed one, why (no answer, a
/// 5xx, a 409), and how they ended (answered by a replay of the first try, answered fresh, or
/// given up after `LoadRetry.maxAttempts`).
struct Resends {
    var requests = 0
    var resent = 0
    var resends = 0
    var afterTransport = 0
    var after5xx = 0
    var after409 = 0
    var replayed = 0
    var fresh = 0
    var gaveUp = 0

    init(_ keyed: [KeyedRequest]) {
        requests = keyed.count
        for request in keyed {
            // Tries up to the first answer that was not worth resending; a resend of a 2xx is a replay check, not a retry.
            let untilAnswer = request.attempts.prefix { LoadRetry.shouldRetry($0.status) }
            guard !untilAnswer.isEmpty else { continue }
            resent += 1
            let retried = min(untilAnswer.count, request.attempts.count - 1)
            resends += retried
            for attempt in untilAnswer.prefix(retried) {
                switch attempt.status {
                case nil: afterTransport += 1
                case 409?: after409 += 1
                default: after5xx += 1
                }
            }
            if let end = request.attempts.dropFirst(untilAnswer.count).first, end.succeeded {
                if end.replayed { replayed += 1 } else { fresh += 1 }
            } else if untilAnswer.count == request.attempts.count {
                gaveUp += 1
            }
        }
    }

    var text: String {
        "keyed requests: \(requests), \(resent) resent \(resends) times (after no answer \(afterTransport), a 5xx \(after5xx), a 409 \(after409)); "
            + "then answered by a replay \(replayed), answered fresh \(fresh), given up \(gaveUp)"
    }

    var json: [String: Int] {
        ["requests": requests, "resent": resent, "resends": resends, "afterTransport": afterTransport, "after5xx": after5xx,
         "after409": after409, "replayed": replayed, "fresh": fresh, "gaveUp": gaveUp]
    }
}
