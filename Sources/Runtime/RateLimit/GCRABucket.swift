/// One quota's state on one key, by the generic cell rate algorithm: the key holds a
/// theoretical arrival time (TAT); admitting `n` units moves it `n × period / limit` later, and
/// the key admits while the TAT stays within `burst × period / limit` of now. A TAT at or
/// before now means the bucket is full.
///
/// Time is kept in ticks of `1 / limit` millisecond, so a unit costs exactly `period` (in ms)
/// ticks and the refill is exact for any limit and period — no rounding of `period / limit`,
/// so admission counts over simulated minutes are exact. `Int128` keeps the product of
/// milliseconds since 1970 and a large tokens-per-minute limit from overflowing.
struct GCRABucket: Sendable {
    let quota: Quota
    /// Ticks per millisecond.
    private let limit: Int128
    /// Ticks one unit costs: the period in milliseconds.
    private let cost: Int128
    /// Ticks of tolerance: `burst × cost`.
    private let capacity: Int128
    /// Theoretical arrival time, in ticks since 1970.
    private var tat: Int128 = 0

    /// A full bucket, or one whose whole burst was spent at `spentAt` (ms since 1970): it
    /// refills from then as if every unit had been taken at that instant.
    init(_ quota: Quota, spentAt: Int64? = nil) {
        self.quota = quota
        limit = Int128(quota.limit)
        cost = Int128(quota.period.milliseconds)
        capacity = Int128(quota.burst) * cost
        if let spentAt { tat = Int128(spentAt) * limit + capacity }
    }

    private func ticks(_ milliseconds: Int64) -> Int128 { Int128(milliseconds) * limit }

    /// Milliseconds from `now` until `units` fit (0: they fit now). `units` must not exceed
    /// the burst (the caller refuses those at once).
    func wait(units: Int, now: Int64) -> Int64 {
        let nowTicks = ticks(now)
        let allowedAt = max(tat, nowTicks) + Int128(units) * cost - capacity
        guard allowedAt > nowTicks else { return 0 }
        let milliseconds = (allowedAt - nowTicks + limit - 1) / limit
        return Int64(min(milliseconds, Int128(RateLimitTime.longestWait)))
    }

    /// Takes `units` at `instant`, whether or not they fit then (a reservation runs ahead of
    /// the refill, or is taken at the end of a pause).
    mutating func take(units: Int, at instant: Int64) {
        tat = max(tat, ticks(instant)) + Int128(units) * cost
    }

    /// Moves the usage still in force at `instant` (ms since 1970) `milliseconds` later: a
    /// pause stops the bucket's clock, so what it held when the pause began it holds when the
    /// pause ends.
    mutating func postpone(after instant: Int64, by milliseconds: Int64) {
        if tat > ticks(instant) { tat += ticks(milliseconds) }
    }

    /// Gives back `units` taken earlier (a cancelled reservation).
    mutating func giveBack(units: Int) {
        tat -= Int128(units) * cost
    }

    /// True when nothing is in use: the bucket holds its whole burst.
    func isFull(now: Int64) -> Bool { tat <= ticks(now) }

    /// A bucket for `quota` that carries this one's usage at `now` (the units taken and not
    /// yet refilled), at most the new burst — so reconfiguring never hands out a fresh burst.
    func carryingUsage(into quota: Quota, now: Int64) -> GCRABucket {
        var next = GCRABucket(quota)
        let owed = tat - ticks(now)
        guard owed > 0 else { return next }
        let carried = min((owed * next.cost + cost - 1) / cost, next.capacity)
        next.tat = next.ticks(now) + carried
        return next
    }
}
