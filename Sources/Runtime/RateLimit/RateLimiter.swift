public import Foundation

/// In-memory rate limits for keys such as `provider:openai:model:gpt-4o-mini` or `tenant:<id>`:
/// each key owns a set of quotas (requests per minute, tokens per minute, …) that an
/// acquisition must fit all at once, and may be paused for a while after a provider's 429.
///
/// Promises:
/// - All or nothing: a permit is taken from every quota of its key or from none. A refusal, a
///   missed deadline and a cancelled wait consume nothing.
/// - `tryAcquire` answers at once: admitted, or how long until the permit would fit.
///   `acquire` waits (on the injected clock) and serves waiters on a key in the order they
///   came: a waiter whose permit fits before its deadline reserves it at once and sleeps until
///   it is usable, so later small permits queue behind it instead of starving it.
/// - A permit larger than a quota's burst can never fit: `RateLimitError.exceedsCapacity` at
///   once, from both methods. A deadline that capacity cannot meet throws
///   `RateLimitError.deadlineExceeded` at once, carrying the retry-after; nothing sleeps in vain.
/// - While a key is paused (`pause`, for a provider's 429) every acquisition on it is refused
///   (or waits) until the pause ends; other keys are unaffected. A pause is only ever
///   lengthened, never shortened. A pause stops the key's quota clock: a fresh key is refused
///   for exactly the remaining pause, and a key that was busy resumes as busy as it was, its
///   waiting callers in their order and pace, not all at once on top of a refilled burst.
/// - Quotas of a key come from `configure(key:quotas:)`, or else from the resolver given at
///   init (nil or empty: unlimited). Reconfiguring keeps the usage so far.
/// - Limiter state lives in memory. A limiter made with `spentAt` counts every key's burst as
///   spent at that instant, so a process that restarts (after a crash, perhaps one that had just
///   spent the burst) admits no more than one uninterrupted process would have; without it, keys
///   start full.
/// - With a `SharedRateBudget`, an acquisition also takes its permit from the budget every
///   instance on the database shares (after the local quotas admit it; given back to them if the
///   shared budget refuses), so the fleet together stays within each key's quotas, and a
///   pause (a provider's 429) seen by one instance holds every instance.
///
/// Keys whose quotas came from the resolver are forgotten once idle (fully refilled, not
/// paused), so unique keys do not grow memory without bound; forgetting an idle key changes no
/// answer.
///
/// Concurrency: the keys are striped over `Mutex`-protected dictionaries chosen by key hash;
/// a decision holds one stripe's lock for a dictionary lookup and a few multiplications, and
/// never suspends or blocks otherwise. Chosen over an actor by measurement (release build, this
/// project's 2-core VM, 10,000 keys, `tryAcquire` from 2 and from 64 concurrent tasks; see
/// `measureLimiterDecisions` in the `switchboard` bench): 4.6–6.0 million decisions/s striped
/// on an otherwise idle machine (1.5–3.3 million while other compilations shared it), against
/// 0.35–0.5 million/s through one actor holding the same dictionary (0.5–1.5 million with 64
/// callers on the shared machine): the actor hop costs more than the decision itself, and the
/// actor serialises every caller. A single `Mutex` for all keys made 3.3–3.6 million/s.
public final class RateLimiter: Sendable {
    /// Gives the quotas of a key that was not configured explicitly (e.g. by key prefix);
    /// nil or empty means unlimited. Called once per key while the key is remembered, never
    /// with a lock held.
    public typealias QuotaResolver = @Sendable (_ key: String) -> [Quota]?

    /// The clock its buckets and pauses read.
    public let clock: any WallClock
    /// The capacity shared with the other instances on the database, if any.
    public let shared: SharedRateBudget?
    private let resolver: QuotaResolver
    private let spentAt: Int64?
    private let shards: [RateLimiterShard]
    private let shardMask: Int

    /// - Parameters:
    ///   - clock: where time comes from; tests pass a `TestClock`.
    ///   - stripes: how many independently locked stripes hold the keys (rounded up to a power
    ///     of two, 1…4096); more stripes, less contention between concurrent callers.
    ///   - shared: the budget shared with other instances (nil: this instance alone).
    ///   - spentAt: when every key's burst counts as spent (a process's start, for limits that
    ///     bind a provider and that nothing remembers across restarts); nil: keys start full.
    ///   - quotas: the quotas of keys not configured explicitly.
    public init(clock: any WallClock = SystemClock(), stripes: Int = 64, shared: SharedRateBudget? = nil,
                spentAt: Date? = nil, quotas resolver: @escaping QuotaResolver = { _ in nil }) {
        var count = 1
        while count < min(max(stripes, 1), 4096) { count *= 2 }
        self.clock = clock
        self.shared = shared
        self.resolver = resolver
        self.spentAt = spentAt?.millisecondsSince1970
        shards = (0..<count).map { _ in RateLimiterShard() }
        shardMask = count - 1
    }

    // MARK: Acquiring

    /// `tryAcquire`, then the shared budget (if any) without waiting: admitted by both, or
    /// nothing taken and how long until it might fit.
    /// - Throws: `RateLimitError.exceedsCapacity` if the permit can never fit.
    public func admit(key: String, permit: Permit = .oneRequest) async throws(RateLimitError) -> RateLimitDecision {
        let local = try tryAcquire(key: key, permit: permit)
        guard local.isAdmitted, let shared else { return local }
        guard let wait = await shared.take(permit, key: key, quotas: quotas(for: key)) else { return .admitted }
        giveBack(permit, on: key)
        return .retryAfter(wait)
    }

    /// Takes `permit` from every quota of `key` if all have room and the key is not paused;
    /// otherwise takes nothing and returns how long until it would fit. Local quotas only:
    /// `admit` also asks the shared budget.
    /// - Throws: `RateLimitError.exceedsCapacity` if the permit can never fit.
    public func tryAcquire(key: String, permit: Permit = .oneRequest) throws(RateLimitError) -> RateLimitDecision {
        let now = clock.now().millisecondsSince1970
        switch withKey(key, now: now, { $0.tryAcquire(permit, now: now) }) {
        case .admitted, .reserved: return .admitted
        case .wait(let milliseconds): return .retryAfter(.milliseconds(milliseconds))
        case .exceeds(let quota): throw .exceedsCapacity(key: key, permit: permit, quota: quota)
        }
    }

    /// Takes `permit` from every quota of `key`, waiting for capacity and for the end of any
    /// pause if need be.
    /// - Parameter deadline: the latest acceptable admission; if capacity comes later this
    ///   throws at once (nothing taken) instead of waiting. A permit that fits now is admitted
    ///   even past its deadline.
    /// - Throws: `CancellationError` if the task is cancelled first (nothing taken);
    ///   `RateLimitError.deadlineExceeded` (with the retry-after) or `.exceedsCapacity`.
    public func acquire(key: String, permit: Permit = .oneRequest, deadline: Date? = nil) async throws {
        try await acquireLocally(key: key, permit: permit, deadline: deadline)
        guard let shared else { return }
        do {
            let quotas = quotas(for: key)
            while let wait = await shared.take(permit, key: key, quotas: quotas) {
                let wakeAt = clock.now().addingTimeInterval(wait.timeInterval)
                if let deadline, wakeAt > deadline { throw RateLimitError.deadlineExceeded(key: key, retryAfter: wait) }
                try await clock.sleep(until: wakeAt)
            }
        } catch {
            giveBack(permit, on: key)
            throw error
        }
    }

    private func acquireLocally(key: String, permit: Permit, deadline: Date?) async throws {
        try Task.checkCancellation()
        let deadlineMilliseconds = deadline?.millisecondsSince1970
        let now = clock.now().millisecondsSince1970
        let reservation: (until: Int64, shift: Int64)
        switch withKey(key, now: now, { $0.reserve(permit, now: now, deadline: deadlineMilliseconds) }) {
        case .admitted: return
        case .reserved(let until, let shift): reservation = (until, shift)
        case .wait(let milliseconds): throw RateLimitError.deadlineExceeded(key: key, retryAfter: .milliseconds(milliseconds))
        case .exceeds(let quota): throw RateLimitError.exceedsCapacity(key: key, permit: permit, quota: quota)
        }
        // The permit is ours from here: give it back on every way out but admission.
        do {
            var wakeAt = reservation.until
            while true {
                try await clock.sleep(until: Date(millisecondsSince1970: wakeAt))
                try Task.checkCancellation()
                // A pause that began meanwhile moved the reservation later.
                let now = clock.now().millisecondsSince1970
                let usableAt = shard(for: key).state.withLock { state in
                    state.withKey(key) { $0.usableAt(reservedUntil: reservation.until, shift: reservation.shift) }
                } ?? now
                guard usableAt > now else { return }
                if let deadlineMilliseconds, usableAt > deadlineMilliseconds {
                    throw RateLimitError.deadlineExceeded(key: key, retryAfter: .milliseconds(usableAt - now))
                }
                wakeAt = usableAt
            }
        } catch {
            giveBack(permit, on: key)
            throw error
        }
    }

    private func giveBack(_ permit: Permit, on key: String) {
        shard(for: key).state.withLock { _ = $0.withKey(key) { $0.giveBack(permit) } }
    }

    /// Corrects an admitted permit once the real usage is known (a provider's token count after
    /// a call estimated with input + max tokens): unused units come back, extra ones are owed.
    public func correct(key: String, estimated: Permit, actual: Permit) async {
        guard estimated != actual else { return }
        let now = clock.now().millisecondsSince1970
        withKey(key, now: now) { $0.correct(estimated: estimated, actual: actual, now: now) }
        await shared?.correct(key: key, quotas: quotas(for: key), estimated: estimated, actual: actual)
    }

    // MARK: Pausing

    /// Refuses (or holds) every acquisition on `key` for `duration` from now, unless it is
    /// already paused for longer. For a provider's 429. With a shared budget the pause holds the
    /// whole fleet (`SharedRateBudget.pause`), written in the background: the task returned ends
    /// once it is written (or could not be); nil when nothing is written.
    @discardableResult
    public func pause(key: String, for duration: Duration) -> Task<Void, Never>? {
        let now = clock.now().millisecondsSince1970
        let milliseconds = RateLimitTime.milliseconds(roundingUp: duration)
        guard milliseconds > 0 else { return nil }
        return pause(key: key, end: now + milliseconds, now: now)
    }

    /// Refuses (or holds) every acquisition on `key` until `date`, unless it is already paused
    /// for longer; the fleet too, as `pause(key:for:)`.
    @discardableResult
    public func pause(key: String, until date: Date) -> Task<Void, Never>? {
        let now = clock.now().millisecondsSince1970
        var end = date.millisecondsSince1970
        if Date(millisecondsSince1970: end) < date { end += 1 }
        guard end > now else { return nil }
        return pause(key: key, end: min(end, now + RateLimitTime.longestWait), now: now)
    }

    /// Pauses the key here and, when that made its pause longer, in the shared budget.
    private func pause(key: String, end: Int64, now: Int64) -> Task<Void, Never>? {
        let extended = withKey(key, now: now) { limited in
            let before = limited.pausedUntil
            limited.pause(until: end, now: now)
            return limited.pausedUntil > before
        }
        guard extended, let shared else { return nil }
        let quotas = quotas(for: key)
        return Task { await shared.pause(key: key, quotas: quotas, until: end) }
    }

    /// Ends a pause early (for an operator, or a provider that recovered).
    public func unpause(key: String) {
        shard(for: key).state.withLock { _ = $0.withKey(key) { $0.unpause() } }
    }

    /// How long `key` stays paused; nil if it is not paused.
    public func pauseRemaining(key: String) -> Duration? {
        let now = clock.now().millisecondsSince1970
        let end = shard(for: key).state.withLock { $0.withKey(key) { $0.pausedUntil } } ?? 0
        return end > now ? .milliseconds(end - now) : nil
    }

    // MARK: Configuring

    /// Sets the quotas of `key` (empty: unlimited), overriding the resolver, keeping the usage
    /// so far: units taken and not yet refilled stay taken (up to the new burst), matched by
    /// unit and period, so reconfiguring never hands out a fresh burst. A pause stays.
    public func configure(key: String, quotas: [Quota]) {
        let now = clock.now().millisecondsSince1970
        shard(for: key).state.withLock { state in
            state.withKey(key, orAdding: LimitedKey(quotas: quotas, configuredExplicitly: true, spentAt: spentAt), now: now) { limited in
                limited.reconfigure(quotas, now: now)
                limited.configuredExplicitly = true
            }
        }
    }

    /// Gives `key` back to the resolver's quotas, keeping the usage so far as `configure` does.
    public func removeConfiguration(key: String) {
        let quotas = resolver(key) ?? []
        let now = clock.now().millisecondsSince1970
        shard(for: key).state.withLock { state in
            _ = state.withKey(key) { limited in
                limited.reconfigure(quotas, now: now)
                limited.configuredExplicitly = false
            }
        }
    }

    /// The quotas that apply to `key` now.
    public func quotas(for key: String) -> [Quota] {
        shard(for: key).state.withLock { $0.withKey(key) { $0.buckets.map(\.quota) } } ?? resolver(key) ?? []
    }

    /// Forgets every idle key now (sweeps also happen on their own as keys are added);
    /// returns how many were forgotten.
    @discardableResult
    public func sweepIdleKeys() -> Int {
        let now = clock.now().millisecondsSince1970
        return shards.reduce(0) { total, shard in total + shard.state.withLock { $0.sweep(now: now) } }
    }

    /// How many keys the limiter remembers.
    var rememberedKeyCount: Int {
        shards.reduce(0) { total, shard in total + shard.state.withLock { $0.keys.count } }
    }

    // MARK: Stripes

    private func shard(for key: String) -> RateLimiterShard {
        shards[key.hashValue & shardMask]
    }

    /// Runs `body` on the state of `key`, creating it from the resolver first if it is unknown
    /// (the resolver runs outside the lock).
    @discardableResult
    private func withKey<R: Sendable>(_ key: String, now: Int64, _ body: (inout LimitedKey) -> R) -> R {
        let shard = shard(for: key)
        if let result = shard.state.withLock({ $0.withKey(key, body) }) { return result }
        let fresh = LimitedKey(quotas: resolver(key) ?? [], configuredExplicitly: false, spentAt: spentAt)
        return shard.state.withLock { $0.withKey(key, orAdding: fresh, now: now, body) }
    }
}
