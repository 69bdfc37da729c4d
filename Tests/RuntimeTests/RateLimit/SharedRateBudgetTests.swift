import Foundation
import PostgresTestSupport
import Testing
@testable import Runtime

@Suite("Rate limits shared by several instances on one PostgreSQL database")
struct SharedRateBudgetTests {
    /// `count` instances on one fresh database, each with its own limiter over `quotas` (the key
    /// "k"), all sharing the budget in the database and one test clock.
    private struct Fleet {
        let clock = TestClock()
        let backends: [PostgresBackend]
        let limiters: [RateLimiter]

        init(instances count: Int, quotas: [Quota]) async throws {
            let url = try await TestPostgres.shared.freshDatabase()
            var backends: [PostgresBackend] = []
            for _ in 0..<count { backends.append(try await PostgresBackend.open(url, migrations: PostgresSchema.migrations)) }
            let clock = clock
            self.backends = backends
            limiters = backends.map { backend in
                RateLimiter(clock: clock, shared: SharedRateBudget(backend: backend, clock: clock)) { _ in quotas }
            }
        }

        /// How many of `attempts` admissions per instance (all at once) the fleet admitted.
        func admitted(_ attempts: Int, permit: Permit = .oneRequest) async -> Int {
            await withTaskGroup(of: Int.self) { group in
                for limiter in limiters {
                    for _ in 0..<attempts {
                        group.addTask { (try? await limiter.admit(key: "k", permit: permit))?.isAdmitted == true ? 1 : 0 }
                    }
                }
                return await group.reduce(0, +)
            }
        }

        func close() async { for backend in backends { await backend.close() } }
    }

    @Test("three instances admit one quota between them, not three: 60 a minute is 60 at once, then 1 a second")
    func fleetStaysWithinTheQuota() async throws {
        let fleet = try await Fleet(instances: 3, quotas: [.requests(60, per: .seconds(60))])
        // Each limiter alone would admit its own 60.
        #expect(await fleet.admitted(100) == 60)
        #expect(await fleet.admitted(10) == 0)
        fleet.clock.advance(by: .seconds(10))
        #expect(await fleet.admitted(10) == 10)
        await fleet.close()
    }

    @Test("leases of several units: over 20 s of steady demand the fleet never takes more than burst + rate · time, and is not starved")
    func leasedChunksConform() async throws {
        // 600 a minute: 10 a second, leases of 5 (half a second of the rate).
        let fleet = try await Fleet(instances: 3, quotas: [.requests(600, per: .seconds(60))])
        var total = 0
        for _ in 0..<100 {
            total += await fleet.admitted(4)
            fleet.clock.advance(by: .milliseconds(200))
        }
        // 600 at once plus 10 a second over the 19.8 s between the first and last step.
        #expect(total <= 600 + 198)
        // Forfeited leases waste at most one lease (5) per instance per lifetime.
        #expect(total >= 600 + 198 - 3 * 5 * 40)
        await fleet.close()
    }

    @Test("a refusal by the shared budget gives the local permit back and says when to retry")
    func refusalGivesBackAndWaits() async throws {
        let fleet = try await Fleet(instances: 2, quotas: [.requests(2, per: .seconds(60))])
        #expect(try await fleet.limiters[0].admit(key: "k") == .admitted)
        #expect(try await fleet.limiters[0].admit(key: "k") == .admitted)
        // The other instance's local bucket is full, the fleet's is empty.
        let refused = try await fleet.limiters[1].admit(key: "k")
        let wait = try #require(refused.retryAfter)
        #expect(wait > .seconds(25) && wait <= .seconds(30))
        await #expect(throws: RateLimitError.self) {
            try await fleet.limiters[1].acquire(key: "k", deadline: fleet.clock.now().addingTimeInterval(5))
        }
        // Nothing was kept locally by the refusals: the local bucket still has both permits.
        #expect(try fleet.limiters[1].tryAcquire(key: "k") == .admitted)
        #expect(try fleet.limiters[1].tryAcquire(key: "k") == .admitted)
        await fleet.close()
    }

    @Test("a permit over requests and tokens is taken from both or neither; used tokens over the estimate are owed")
    func allOrNothingAndCorrections() async throws {
        let fleet = try await Fleet(instances: 2, quotas: [.requests(100, per: .seconds(60)), .tokens(1_000, per: .seconds(60))])
        let big = Permit(requests: 1, tokens: 600)
        #expect(try await fleet.limiters[0].admit(key: "k", permit: big) == .admitted)
        // 400 tokens remain for the fleet: the other instance's 600 do not fit, and its request is not kept.
        #expect(try await fleet.limiters[1].admit(key: "k", permit: big).isAdmitted == false)
        // The first call used 900 tokens, not 600: 100 remain, so 150 do not fit but 100 do.
        await fleet.limiters[0].correct(key: "k", estimated: big, actual: Permit(requests: 1, tokens: 900))
        #expect(try await fleet.limiters[1].admit(key: "k", permit: Permit(requests: 1, tokens: 150)).isAdmitted == false)
        #expect(try await fleet.limiters[1].admit(key: "k", permit: Permit(requests: 1, tokens: 100)) == .admitted)
        await fleet.close()
    }

    @Test("a 429 seen by one instance pauses the fleet: the others lease nothing until it ends, then at the quota's rate")
    func pauseHoldsTheFleet() async throws {
        let fleet = try await Fleet(instances: 2, quotas: [.requests(60, per: .seconds(60))])
        let written = try #require(fleet.limiters[0].pause(key: "k", for: .seconds(30)), "a longer pause is written for the fleet")
        await written.value
        #expect(fleet.limiters[0].pause(key: "k", for: .seconds(5)) == nil, "a shorter one changes nothing")
        // The other instance's own bucket is full and it saw no 429, yet the fleet's row leases nothing.
        let refused = try await fleet.limiters[1].admit(key: "k")
        let wait = try #require(refused.retryAfter)
        #expect(wait > .seconds(29) && wait <= .seconds(31))
        fleet.clock.advance(by: .seconds(30))
        #expect(await fleet.admitted(10) == 0, "not the burst at the pause's end")
        fleet.clock.advance(by: .seconds(1))
        #expect(await fleet.admitted(10) == 1)
        fleet.clock.advance(by: .seconds(10))
        #expect(await fleet.admitted(20) == 10, "then 1 a second")
        await fleet.close()
    }

    @Test("while the database cannot be reached the shared budget refuses: an outage never overspends")
    func outageRefuses() async throws {
        let fleet = try await Fleet(instances: 1, quotas: [.requests(60, per: .seconds(60))])
        await fleet.backends[0].close()
        let decision = try await fleet.limiters[0].admit(key: "k")
        #expect(decision.retryAfter == .seconds(1))
    }
}
