import Foundation
import Testing
@testable import Runtime

@Suite("Clock")
struct ClockTests {
    @Test("milliseconds round-trip exactly and never round a moment up")
    func millisecondsRoundTrip() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<100_000 {
            let ms = Int64.random(in: 1_700_000_000_000...1_900_000_000_000, using: &random)
            #expect(Date(millisecondsSince1970: ms).millisecondsSince1970 == ms)
            let moment = Date(timeIntervalSince1970: 1_800_000_000 + Double.random(in: 0..<10, using: &random))
            let truncated = moment.millisecondsSince1970
            #expect(Date(millisecondsSince1970: truncated) <= moment)
            #expect(Date(millisecondsSince1970: truncated + 1) > moment)
        }
    }

    @Test("a test-clock sleeper wakes when time reaches its deadline, not before")
    func testClockWakesAtDeadline() async throws {
        let clock = TestClock()
        let deadline = clock.now().addingTimeInterval(5)
        let sleeper = Task { try await clock.sleep(until: deadline) }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(to: deadline)
        try await sleeper.value
        #expect(clock.sleeperCount == 0)
    }
}
