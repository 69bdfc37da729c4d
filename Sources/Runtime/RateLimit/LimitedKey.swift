/// Everything the limiter knows about one key: a bucket per quota, the end of a provider's
/// pause, and whether the quotas were configured explicitly (such keys are never swept).
///
/// A pause stops the buckets' clock: usage in force when it begins (including reservations of
/// waiting callers) is moved past its end, so the key resumes as it was when paused instead of
/// releasing everything held by the pause at once on top of a refilled burst.
struct LimitedKey: Sendable {
    var buckets: [GCRABucket]
    /// Milliseconds since 1970 before which nothing is admitted; 0 when never paused.
    private(set) var pausedUntil: Int64 = 0
    /// Total milliseconds pauses have moved this key's usage (and so its reservations) later.
    private(set) var pauseShift: Int64 = 0
    var configuredExplicitly: Bool
    /// When a new quota's burst counts as spent (see `RateLimiter.init`); nil: new quotas start full.
    private let spentAt: Int64?

    init(quotas: [Quota], configuredExplicitly: Bool, spentAt: Int64? = nil) {
        buckets = quotas.map { GCRABucket($0, spentAt: spentAt) }
        self.configuredExplicitly = configuredExplicitly
        self.spentAt = spentAt
    }

    /// What one look at the key says about a permit.
    enum Verdict: Sendable {
        /// Taken from every quota.
        case admitted
        /// Nothing taken; admissible in this many milliseconds (at least 1).
        case wait(Int64)
        /// Reserved: taken from every quota now, usable at `until` (ms since 1970) plus
        /// whatever later pauses add to `pauseShift` beyond `shift`.
        case reserved(until: Int64, shift: Int64)
        /// Nothing taken; the permit is larger than this quota's burst.
        case exceeds(Quota)
    }

    /// When the key takes permits again: now, or the end of its pause.
    private func resumption(now: Int64) -> Int64 { max(now, pausedUntil) }

    /// Milliseconds until `permit` fits every quota and any pause is over (0: now), or the
    /// quota it can never fit.
    private func wait(for permit: Permit, now: Int64) -> Result<Int64, OversizePermit> {
        let resume = resumption(now: now)
        var wait: Int64 = 0
        for bucket in buckets {
            let units = permit.units(of: bucket.quota.unit)
            guard units > 0 else { continue }
            guard units <= bucket.quota.burst else { return .failure(OversizePermit(quota: bucket.quota)) }
            wait = max(wait, bucket.wait(units: units, now: resume))
        }
        return .success(resume - now + wait)
    }

    private mutating func take(_ permit: Permit, at instant: Int64) {
        for index in buckets.indices {
            let units = permit.units(of: buckets[index].quota.unit)
            if units > 0 { buckets[index].take(units: units, at: instant) }
        }
    }

    /// Admits `permit` if every quota has room and the key is not paused; otherwise takes
    /// nothing and says how long until it would fit.
    mutating func tryAcquire(_ permit: Permit, now: Int64) -> Verdict {
        switch wait(for: permit, now: now) {
        case .failure(let oversize): return .exceeds(oversize.quota)
        case .success(0):
            take(permit, at: now)
            return .admitted
        case .success(let wait): return .wait(wait)
        }
    }

    /// Like `tryAcquire`, but when the permit would fit by `deadline` (ms since 1970; nil: no
    /// deadline) it is taken now and held for the caller until it fits, so waiters are served
    /// in the order they came and a stream of small permits cannot starve a large one.
    mutating func reserve(_ permit: Permit, now: Int64, deadline: Int64?) -> Verdict {
        switch wait(for: permit, now: now) {
        case .failure(let oversize): return .exceeds(oversize.quota)
        case .success(0):
            take(permit, at: now)
            return .admitted
        case .success(let wait):
            if let deadline, now + wait > deadline { return .wait(wait) }
            take(permit, at: resumption(now: now))
            return .reserved(until: now + wait, shift: pauseShift)
        }
    }

    /// Replaces an admitted permit's estimate by what was actually used: unused units are given
    /// back, extra units are taken at once (later callers wait for them).
    mutating func correct(estimated: Permit, actual: Permit, now: Int64) {
        for index in buckets.indices {
            let unit = buckets[index].quota.unit
            let delta = actual.units(of: unit) - estimated.units(of: unit)
            if delta < 0 { buckets[index].giveBack(units: -delta) } else if delta > 0 { buckets[index].take(units: delta, at: now) }
        }
    }

    /// Gives back a reservation that will not be used.
    mutating func giveBack(_ permit: Permit) {
        for index in buckets.indices {
            let units = permit.units(of: buckets[index].quota.unit)
            if units > 0 { buckets[index].giveBack(units: units) }
        }
    }

    /// When a reservation made with `until` and `shift` becomes usable, given the pauses since.
    func usableAt(reservedUntil until: Int64, shift: Int64) -> Int64 {
        max(until + max(0, pauseShift - shift), pausedUntil)
    }

    /// Replaces the quotas, carrying each old quota's usage into the new quota of the same unit
    /// and period (or, failing that, the same unit), so a reconfiguration is no fresh burst.
    mutating func reconfigure(_ quotas: [Quota], now: Int64) {
        buckets = quotas.map { quota in
            let previous = buckets.first { $0.quota.unit == quota.unit && $0.quota.period == quota.period }
                ?? buckets.first { $0.quota.unit == quota.unit }
            return previous?.carryingUsage(into: quota, now: resumption(now: now)) ?? GCRABucket(quota, spentAt: spentAt)
        }
    }

    /// Pauses until `end` (ms since 1970) unless already paused longer, stopping the buckets'
    /// clock for the added time.
    mutating func pause(until end: Int64, now: Int64) {
        let resume = resumption(now: now)
        guard end > resume else { return }
        for index in buckets.indices { buckets[index].postpone(after: resume, by: end - resume) }
        pauseShift += end - resume
        pausedUntil = end
    }

    /// Ends a pause now; usage it moved later stays where it is.
    mutating func unpause() {
        pausedUntil = 0
    }

    /// True when forgetting the key changes nothing: every bucket full, no pause in force,
    /// quotas from the resolver (which will give them again).
    func isIdle(now: Int64) -> Bool {
        !configuredExplicitly && pausedUntil <= now && buckets.allSatisfy { $0.isFull(now: now) }
    }
}

/// A permit larger than `quota`'s burst.
struct OversizePermit: Error {
    let quota: Quota
}
