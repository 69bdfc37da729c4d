import Foundation
import Testing
@testable import Runtime

@Suite("Rate limiter")
struct RateLimiterTests {
    static let openAI = "provider:openai:model:gpt-4o-mini"

    /// 60 requests and 10,000 tokens a minute for provider keys; tenants unlimited.
    static func limiter(_ clock: TestClock, stripes: Int = 64) -> RateLimiter {
        RateLimiter(clock: clock, stripes: stripes) { key in
            key.hasPrefix("provider:") ? [.requests(60), .tokens(10_000)] : nil
        }
    }

    /// Tries `attempts` acquisitions now; returns how many were admitted.
    static func admit(_ limiter: RateLimiter, _ key: String, _ permit: Permit = .oneRequest, attempts: Int) throws -> Int {
        var admitted = 0
        for _ in 0..<attempts where try limiter.tryAcquire(key: key, permit: permit).isAdmitted { admitted += 1 }
        return admitted
    }

    /// Waits until `count` tasks sleep on the clock; fails the test, instead of hanging, if
    /// they never do.
    static func waitForSleepers(_ clock: TestClock, _ count: Int) async throws {
        var turns = 0
        while clock.sleeperCount < count, turns < 1_000_000 {
            await Task.yield()
            turns += 1
        }
        try #require(clock.sleeperCount >= count, "expected \(count) tasks asleep on the test clock")
    }

    @Test("over simulated minutes, requests per minute bite for small permits and tokens per minute for large ones, exactly")
    func exactCountsPerMinute() throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock)
        let small = Permit(requests: 1, tokens: 100)   // 60 a minute use 6,000 tokens: requests bind
        let large = Permit(requests: 1, tokens: 1_000) // 10 a minute use 10 requests: tokens bind
        let (requestBound, tokenBound) = ("provider:a", "provider:b")

        // A rested key admits its whole burst at once, and no more.
        #expect(try Self.admit(limiter, requestBound, small, attempts: 100) == 60)
        #expect(try Self.admit(limiter, tokenBound, large, attempts: 100) == 10)
        #expect(try limiter.tryAcquire(key: requestBound, permit: small) == .retryAfter(.seconds(1)))
        #expect(try limiter.tryAcquire(key: tokenBound, permit: large) == .retryAfter(.seconds(6)))

        // Then, trying 3 times a second for 5 minutes: exactly one request a second and one
        // 1,000-token permit every 6 seconds, i.e. 60 and 10 in each minute.
        for _ in 1...5 {
            var perMinute = (requestBound: 0, tokenBound: 0)
            for _ in 1...60 {
                clock.advance(by: .seconds(1))
                perMinute.requestBound += try Self.admit(limiter, requestBound, small, attempts: 3)
                perMinute.tokenBound += try Self.admit(limiter, tokenBound, large, attempts: 3)
            }
            #expect(perMinute.requestBound == 60)
            #expect(perMinute.tokenBound == 10)
        }

        // Mixed on one key: after a 2-minute rest (full), 8 large permits take 8,000 tokens and
        // 8 requests; then small permits: 20 fit the tokens (2,000 left), not the 52 requests left.
        clock.advance(by: .seconds(120))
        #expect(try Self.admit(limiter, tokenBound, large, attempts: 8) == 8)
        #expect(try Self.admit(limiter, tokenBound, small, attempts: 100) == 20)
        // Requests-only permits still find the 32 requests left.
        #expect(try Self.admit(limiter, tokenBound, Permit(requests: 1), attempts: 100) == 32)
    }

    @Test("a limiter started spent (a restart) admits, together with the process before it, no more than one limiter would")
    func startingSpentSurvivesRestarts() throws {
        let clock = TestClock()
        let key = "provider:a"
        // The first process spends its whole burst, then dies 10 s later and is replaced.
        #expect(try Self.admit(Self.limiter(clock), key, attempts: 100) == 60)
        clock.advance(by: .seconds(10))
        let restarted = RateLimiter(clock: clock, spentAt: clock.now()) { $0.hasPrefix("provider:") ? [.requests(60)] : nil }
        #expect(try restarted.tryAcquire(key: key) == .retryAfter(.seconds(1)))
        // Over the next minute it admits one a second, 60 in all: with the first process's 60,
        // 120 in the 70 s since the first admission, within the 130 one limiter allows (60 + 70).
        var admitted = 0
        for _ in 1...60 {
            clock.advance(by: .seconds(1))
            admitted += try Self.admit(restarted, key, attempts: 3)
        }
        #expect(admitted == 60)
        // A key first used long after the start is full: a spent burst refills like any other.
        clock.advance(by: .seconds(120))
        #expect(try Self.admit(restarted, "provider:b", attempts: 100) == 60)
        // Without `spentAt` a fresh limiter hands out a new burst at once.
        #expect(try Self.admit(Self.limiter(clock), key, attempts: 100) == 60)
    }

    @Test("keys are independent and the resolver decides their quotas: nil means unlimited")
    func resolverAndIndependence() throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock)
        #expect(try Self.admit(limiter, Self.openAI, attempts: 100) == 60)
        #expect(try Self.admit(limiter, "provider:anthropic:model:claude", attempts: 100) == 60)
        #expect(try Self.admit(limiter, "tenant:t1", Permit(requests: 1, tokens: 1_000_000), attempts: 10_000) == 10_000)
        #expect(limiter.quotas(for: Self.openAI) == [.requests(60), .tokens(10_000)])
        #expect(limiter.quotas(for: "tenant:t1").isEmpty)
    }

    @Test("a weighted permit takes its full weight, and a refused one takes nothing from any quota")
    func weightedAllOrNothing() throws {
        let clock = TestClock()
        let limiter = RateLimiter(clock: clock) { _ in [.requests(10), .tokens(10_000)] }
        let key = Self.openAI
        let big = Permit(requests: 1, tokens: 1_500)

        #expect(try Self.admit(limiter, key, big, attempts: 6) == 6) // 9,000 tokens, 6 requests
        // 1,000 tokens left: refused, and told to come back when 500 more have refilled (3 s).
        #expect(try limiter.tryAcquire(key: key, permit: big) == .retryAfter(.seconds(3)))
        // The refusal took no request: 4 are left.
        #expect(try Self.admit(limiter, key, Permit(requests: 1), attempts: 10) == 4)
        // Refused for want of a request (1 every 6 s), it takes no tokens either: 1,000 still fit.
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 1, tokens: 1_000)) == .retryAfter(.seconds(6)))
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 0, tokens: 1_000)) == .admitted)
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 0, tokens: 1)) == .retryAfter(.milliseconds(6)))
        clock.advance(by: .seconds(6)) // 1 request and 1,000 tokens back
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 1, tokens: 1_001)) == .retryAfter(.milliseconds(6)))
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 1, tokens: 1_000)) == .admitted)
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 0, tokens: 1)) == .retryAfter(.milliseconds(6)))
    }

    @Test("a permit larger than a quota's burst is refused at once by both methods, even on a paused key")
    func oversizeRejectedAtOnce() async throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock)
        let key = Self.openAI
        let oversize = Permit(requests: 1, tokens: 10_001)
        let expected = RateLimitError.exceedsCapacity(key: key, permit: oversize, quota: .tokens(10_000))
        #expect(throws: expected) { try limiter.tryAcquire(key: key, permit: oversize) }
        await #expect(throws: expected) { try await limiter.acquire(key: key, permit: oversize) }
        limiter.pause(key: key, for: .seconds(30))
        await #expect(throws: expected) { try await limiter.acquire(key: key, permit: oversize) }
        #expect(clock.sleeperCount == 0)
        #expect(expected.retryAfter == nil)
        // It took nothing: the whole burst is there once the pause is over.
        clock.advance(by: .seconds(30))
        #expect(try Self.admit(limiter, key, Permit(requests: 1, tokens: 10_000), attempts: 2) == 1)
    }

    @Test("a waiting acquire is admitted once time advances, and holds its place meanwhile")
    func waitingAcquire() async throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock)
        let key = Self.openAI
        #expect(try Self.admit(limiter, key, attempts: 60) == 60)

        let waiter = Task { try await limiter.acquire(key: key) }
        try await Self.waitForSleepers(clock, 1)
        // The waiter reserved the next request (due in 1 s): later callers queue behind it.
        #expect(try limiter.tryAcquire(key: key) == .retryAfter(.seconds(2)))
        clock.advance(by: .milliseconds(999))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .milliseconds(1))
        try await waiter.value
        #expect(try limiter.tryAcquire(key: key) == .retryAfter(.seconds(1)))
        clock.advance(by: .seconds(1))
        #expect(try Self.admit(limiter, key, attempts: 5) == 1)
    }

    @Test("waiters on a key are served in the order they came, a large one included")
    func waitersInOrder() async throws {
        let clock = TestClock()
        let limiter = RateLimiter(clock: clock) { _ in [.tokens(600)] } // 10 tokens a second
        let key = "provider:p"
        #expect(try Self.admit(limiter, key, Permit(requests: 0, tokens: 600), attempts: 1) == 1)
        let large = Task { try await limiter.acquire(key: key, permit: Permit(requests: 0, tokens: 500)) }
        try await Self.waitForSleepers(clock, 1)
        // Small permits come after the large one: they wait for it, not the other way round.
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 0, tokens: 10)) == .retryAfter(.seconds(51)))
        clock.advance(by: .seconds(50))
        try await large.value
        clock.advance(by: .seconds(1))
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 0, tokens: 10)) == .admitted)
    }

    @Test("cancelling a waiting acquire throws CancellationError and consumes nothing")
    func cancelledWhileWaiting() async throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock)
        let key = Self.openAI
        #expect(try Self.admit(limiter, key, Permit(requests: 1, tokens: 100), attempts: 60) == 60)

        let waiter = Task { try await limiter.acquire(key: key, permit: Permit(requests: 1, tokens: 5_000)) }
        try await Self.waitForSleepers(clock, 1)
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // Its reservation was given back: the next request is due in 1 s, not 2.
        #expect(try limiter.tryAcquire(key: key) == .retryAfter(.seconds(1)))
        clock.advance(by: .seconds(1))
        #expect(try Self.admit(limiter, key, attempts: 5) == 1)
        // 6,000 tokens were used at 0 s; at 2 s, 333⅓ are back: 4,333 fit, 4,334 in 4 ms.
        clock.advance(by: .seconds(1))
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 1, tokens: 4_334)) == .retryAfter(.milliseconds(4)))
        #expect(try limiter.tryAcquire(key: key, permit: Permit(requests: 1, tokens: 4_333)) == .admitted)

        // A task cancelled before it asks takes nothing either, even with capacity free.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await limiter.acquire(key: "provider:fresh")
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(try Self.admit(limiter, "provider:fresh", attempts: 100) == 60)
    }

    @Test("an acquire whose capacity comes after its deadline throws at once with the retry-after")
    func deadline() async throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock)
        let key = Self.openAI
        #expect(try Self.admit(limiter, key, attempts: 60) == 60)

        let tooSoon = clock.now().addingTimeInterval(0.999)
        await #expect(throws: RateLimitError.deadlineExceeded(key: key, retryAfter: .seconds(1))) {
            try await limiter.acquire(key: key, deadline: tooSoon)
        }
        #expect(clock.sleeperCount == 0)
        #expect(RateLimitError.deadlineExceeded(key: key, retryAfter: .seconds(1)).retryAfter == .seconds(1))
        // Nothing was taken: a deadline just long enough waits and is admitted.
        let justInTime = Task { try await limiter.acquire(key: key, deadline: clock.now().addingTimeInterval(1)) }
        try await Self.waitForSleepers(clock, 1)
        clock.advance(by: .seconds(1))
        try await justInTime.value
        // A permit that fits now is admitted whatever its deadline.
        try await limiter.acquire(key: "provider:other", deadline: .distantPast)
    }

    @Test("a pause holds its key for its duration, other keys carry on, and the key resumes after")
    func pauseFromHeaders() async throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock)
        let key = Self.openAI
        let other = "provider:openai:model:gpt-4o"

        // What a provider's headers ask (ProviderBackoff, in Jobs, reads them): 6 minutes.
        limiter.pause(key: key, for: .seconds(360))
        #expect(try limiter.tryAcquire(key: key) == .retryAfter(.seconds(360)))
        #expect(try Self.admit(limiter, other, attempts: 100) == 60)
        #expect(try Self.admit(limiter, "tenant:t1", attempts: 10) == 10)

        // A shorter pause does not shorten it.
        limiter.pause(key: key, for: .seconds(5))
        clock.advance(by: .seconds(359))
        #expect(limiter.pauseRemaining(key: key) == .seconds(1))
        #expect(try limiter.tryAcquire(key: key) == .retryAfter(.seconds(1)))
        // While paused, acquire waits, or throws at once if the pause outlasts its deadline.
        await #expect(throws: RateLimitError.deadlineExceeded(key: key, retryAfter: .seconds(1))) {
            try await limiter.acquire(key: key, deadline: clock.now())
        }
        let waiter = Task { try await limiter.acquire(key: key) }
        try await Self.waitForSleepers(clock, 1)
        clock.advance(by: .seconds(1))
        try await waiter.value
        #expect(limiter.pauseRemaining(key: key) == nil)
        // The pause consumed nothing: the whole burst (less the waiter's request) is there.
        #expect(try Self.admit(limiter, key, attempts: 100) == 59)

        limiter.pause(key: other, until: clock.now().addingTimeInterval(3600))
        limiter.unpause(key: other)
        #expect(limiter.pauseRemaining(key: other) == nil)
    }

    @Test("a pause that begins while an acquire waits holds it until the pause ends")
    func pauseWhileWaiting() async throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock)
        let key = Self.openAI
        #expect(try Self.admit(limiter, key, attempts: 60) == 60)
        let waiter = Task { try await limiter.acquire(key: key) } // reserves the request due at 1 s
        try await Self.waitForSleepers(clock, 1)
        // The pause stops the quota clock for 10 s: that request is now due at 11 s.
        limiter.pause(key: key, for: .seconds(10))
        clock.advance(by: .seconds(1))
        try await Self.waitForSleepers(clock, 1) // woke at 1 s, asleep again
        clock.advance(by: .seconds(9))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await waiter.value
        // The key is as it was when paused, 10 s later: the next request is 1 s away.
        #expect(try limiter.tryAcquire(key: key) == .retryAfter(.seconds(1)))

        // One whose deadline falls inside a pause gives its reservation back and throws.
        let late = Task { try await limiter.acquire(key: key, deadline: clock.now().addingTimeInterval(5)) }
        try await Self.waitForSleepers(clock, 1) // it reserved the request due in 1 s
        limiter.pause(key: key, for: .seconds(30))
        clock.advance(by: .seconds(1))
        await #expect(throws: RateLimitError.deadlineExceeded(key: key, retryAfter: .seconds(30))) { try await late.value }
        // 29 s of pause left, then the request that was 1 s away when it began.
        #expect(try limiter.tryAcquire(key: key) == .retryAfter(.seconds(30)))
        clock.advance(by: .seconds(30))
        #expect(try Self.admit(limiter, key, attempts: 100) == 1)
    }

    @Test("reconfiguring a key at run time keeps what it has used, and can be undone")
    func reconfigureKeepsUsage() throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock)
        let key = Self.openAI
        #expect(try Self.admit(limiter, key, Permit(requests: 1, tokens: 100), attempts: 50) == 50)

        // Raised to 100 a minute: the 50 used stay used.
        limiter.configure(key: key, quotas: [.requests(100), .tokens(10_000)])
        #expect(limiter.quotas(for: key) == [.requests(100), .tokens(10_000)])
        #expect(try Self.admit(limiter, key, Permit(requests: 1, tokens: 100), attempts: 100) == 50)

        // Lowered to 30 a minute: fully used, at the new pace (one every 2 s).
        limiter.configure(key: key, quotas: [.requests(30), .tokens(10_000)])
        #expect(try limiter.tryAcquire(key: key) == .retryAfter(.seconds(2)))
        clock.advance(by: .seconds(2))
        #expect(try Self.admit(limiter, key, attempts: 10) == 1)

        // Back to the resolver's 60 a minute: the 30 requests in use stay in use.
        limiter.removeConfiguration(key: key)
        #expect(limiter.quotas(for: key) == [.requests(60), .tokens(10_000)])
        #expect(try Self.admit(limiter, key, attempts: 100) == 30)

        // Configuring an unknown key starts it full; empty quotas make it unlimited; a pause stays.
        limiter.configure(key: "provider:new", quotas: [.requests(5)])
        #expect(try Self.admit(limiter, "provider:new", attempts: 10) == 5)
        limiter.pause(key: "provider:new", for: .seconds(5))
        limiter.configure(key: "provider:new", quotas: [])
        #expect(try limiter.tryAcquire(key: "provider:new") == .retryAfter(.seconds(5)))
        clock.advance(by: .seconds(5))
        #expect(try Self.admit(limiter, "provider:new", attempts: 1_000) == 1_000)
    }

    @Test("idle keys from the resolver are forgotten; configured, paused and busy keys are kept")
    func sweepsIdleKeys() throws {
        let clock = TestClock()
        let limiter = Self.limiter(clock, stripes: 1)
        for index in 0..<5_000 { _ = try limiter.tryAcquire(key: "provider:\(index)") }
        // Sweeps ran as the stripe filled with keys still in use; none were idle.
        #expect(limiter.rememberedKeyCount == 5_000)
        clock.advance(by: .seconds(60))
        limiter.configure(key: "provider:configured", quotas: [.requests(1)])
        limiter.pause(key: "provider:paused", for: .seconds(10))
        _ = try limiter.tryAcquire(key: "provider:busy")
        #expect(limiter.sweepIdleKeys() == 5_000)
        #expect(limiter.rememberedKeyCount == 3)

        // Unique keys that fall idle do not pile up: automatic sweeps keep the count bounded.
        for index in 0..<20_000 {
            _ = try limiter.tryAcquire(key: "tenant:\(index)") // unlimited: idle at once
        }
        #expect(limiter.rememberedKeyCount <= RateLimiterShard.smallestSweep + 3)
        // Forgetting an idle key changed nothing: a used key still refuses, a fresh one is full.
        #expect(try limiter.tryAcquire(key: "provider:configured") == .admitted)
        #expect(try limiter.tryAcquire(key: "provider:configured") == .retryAfter(.seconds(60)))
        #expect(try Self.admit(limiter, "provider:0", attempts: 100) == 60)
    }

    @Test("concurrent callers on one key are admitted exactly up to the burst")
    func concurrentCallers() async throws {
        let clock = TestClock()
        let limiter = RateLimiter(clock: clock) { _ in [.requests(1_000)] }
        let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try Self.admit(limiter, "provider:shared", attempts: 500) }
            }
            return try await group.reduce(0, +)
        }
        #expect(admitted == 1_000)
    }

    @Test("quotas and permits clamp nonsense; exact refill for limits that do not divide the period")
    func quotaArithmetic() throws {
        #expect(Quota.requests(0, per: .zero).limit == 1)
        #expect(Quota.requests(0, per: .zero).period == .milliseconds(1))
        #expect(Quota.tokens(10, per: .seconds(Int64.max)).period == .milliseconds(Quota.longestPeriod))
        #expect(Quota.requests(10, burst: 3).burst == 3)
        #expect(Permit(requests: -1, tokens: -5) == Permit(requests: 0, tokens: 0))

        // 7 a minute: the 8th comes exactly one period after the 1st, not a millisecond later.
        let clock = TestClock()
        let limiter = RateLimiter(clock: clock) { _ in [.requests(7)] }
        #expect(try Self.admit(limiter, "k", attempts: 10) == 7)
        #expect(try limiter.tryAcquire(key: "k") == .retryAfter(.milliseconds(8_572)))
        clock.advance(by: .seconds(60))
        #expect(try Self.admit(limiter, "k", attempts: 10) == 7)
        // 150 million tokens a minute (no overflow), burst 1,000.
        let fast = RateLimiter(clock: clock) { _ in [.tokens(150_000_000, burst: 1_000)] }
        #expect(try Self.admit(fast, "k", Permit(requests: 0, tokens: 1_000), attempts: 2) == 1)
        #expect(try fast.tryAcquire(key: "k", permit: Permit(requests: 0, tokens: 1_000)) == .retryAfter(.milliseconds(1)))
    }
}

@Suite("Rate limiter corrections")
struct RateLimiterCorrectionTests {
    @Test("correcting a permit gives back unused units and charges extra ones")
    func correct() async throws {
        let clock = TestClock()
        let limiter = RateLimiter(clock: clock) { _ in [.tokens(100, per: .seconds(60))] }
        #expect(try limiter.tryAcquire(key: "k", permit: Permit(tokens: 90)).isAdmitted)
        #expect(try limiter.tryAcquire(key: "k", permit: Permit(tokens: 50)).isAdmitted == false)
        await limiter.correct(key: "k", estimated: Permit(tokens: 90), actual: Permit(tokens: 10))
        #expect(try limiter.tryAcquire(key: "k", permit: Permit(tokens: 50)).isAdmitted)
        // Now 60 used; a call that used 40 more than it said leaves nothing for another 1.
        await limiter.correct(key: "k", estimated: Permit(tokens: 0), actual: Permit(tokens: 40))
        #expect(try limiter.tryAcquire(key: "k", permit: Permit(tokens: 1)).isAdmitted == false)
        clock.advance(by: .seconds(6))  // 100 per minute: 10 tokens come back
        #expect(try limiter.tryAcquire(key: "k", permit: Permit(tokens: 10)).isAdmitted)
    }
}
