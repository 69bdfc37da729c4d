import Dispatch
import Foundation
import Histogram
import Runtime

/// `RateLimiter.tryAcquire` decisions per second, spread at random over `keys` keys (each with
/// 600 requests and 100,000 tokens a minute, so most decisions refuse once the bursts are
/// spent), from one task per core on the real clock; and the p99 latency of one decision in
/// microseconds, timed on every 8th decision so the timing does not dominate what it measures.
func measureLimiterDecisions(keys: Int, decisions: Int) async -> (perSecond: Double, p99Microseconds: Double) {
    let names = (0..<max(1, keys)).map { "provider:bench:model:m\($0)" }
    let limiter = RateLimiter { _ in [.requests(600), .tokens(100_000)] }
    let permit = Permit(requests: 1, tokens: 150)
    // Every key once first, so the run measures decisions, not the first sight of a key.
    for name in names { _ = try? limiter.tryAcquire(key: name, permit: permit) }

    let lanes = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let total = max(1, decisions)
    let start = ContinuousClock.now
    let latency = await withTaskGroup(of: Histogram<UInt64>.self) { group in
        for lane in 0..<lanes {
            let share = total / lanes + (lane < total % lanes ? 1 : 0)
            group.addTask {
                var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
                var random = UInt64(lane + 1) &* 0x9E37_79B9_7F4A_7C15 // xorshift64: cheap, per lane
                for index in 0..<share {
                    random ^= random << 13
                    random ^= random >> 7
                    random ^= random << 17
                    let key = names[Int(random % UInt64(names.count))]
                    if index & 7 == 0 {
                        let began = DispatchTime.now().uptimeNanoseconds
                        _ = try? limiter.tryAcquire(key: key, permit: permit)
                        _ = histogram.record(DispatchTime.now().uptimeNanoseconds - began)
                    } else {
                        _ = try? limiter.tryAcquire(key: key, permit: permit)
                    }
                    if index & 0xFFFF == 0xFFFF { await Task.yield() } // let other tasks have the thread now and then
                }
                return histogram
            }
        }
        var merged = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        for await histogram in group { merged.add(histogram) }
        return merged
    }
    let seconds = (ContinuousClock.now - start).seconds
    return (Double(total) / seconds, Double(latency.valueAtPercentile(99)) / 1_000)
}
