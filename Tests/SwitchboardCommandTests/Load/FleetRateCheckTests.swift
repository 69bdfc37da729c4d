import Foundation
@testable import switchboard
import Testing

@Suite("load: the fleet kept each provider's requests-per-minute limit")
struct FleetRateCheckTests {
    let check = FleetRateCheck(limits: ["gpt-limited": 120])
    let start: Int64 = 1_800_000_000_000

    @Test("the whole limit at once, then 2 a second for a minute, holds")
    func conformingCallsHold() {
        let burst = [Int64](repeating: start, count: 120)
        let steady = (1...120).map { start + Int64($0) * 500 }
        #expect(check.violations(["gpt-limited": burst + steady], instances: 3).isEmpty)
    }

    @Test("three instances each spending the whole limit at once is caught; other models are not checked")
    func threeTimesTheLimitIsCaught() throws {
        let times = ["gpt-limited": [Int64](repeating: start, count: 360), "gpt-load": [Int64](repeating: start, count: 10_000)]
        let problems = check.violations(times, instances: 3)
        #expect(problems.count == 1)
        // 120 + 3 · 2 + 1 fit: the rest went past the limit.
        #expect(try #require(problems.first).hasPrefix("233 of 360 calls to gpt-limited"))
    }

    @Test("a steady rate twice the limit is caught once the burst is spent")
    func steadyOverspendIsCaught() {
        let calls = (0..<600).map { start + Int64($0) * 250 }  // 4 a second for 150 s
        #expect(check.violations(["gpt-limited": calls], instances: 1).count == 1)
        #expect(FleetRateCheck.busiestMinute(calls) == 240)
    }
}
