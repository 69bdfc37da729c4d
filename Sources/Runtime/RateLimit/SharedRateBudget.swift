import Foundation
import Synchronization

/// The capacity of rate-limited keys that every instance on one database shares, so that N
/// instances together stay within a key's quotas (a provider's RPM and TPM, a plan's rate) instead
/// of N times them. The database holds each (key, quota) as one GCRA row (`rate_budgets`: its
/// theoretical arrival time); an instance takes capacity from the row in small leases (about
/// `leaseLifetime` of the quota's rate, at least what the caller needs) and spends a lease
/// locally, without a round trip, until it runs out or expires.
///
/// Promises:
/// - Across the fleet, what is leased for a quota never exceeds it: at most `burst` units at once
///   and `limit` per `period` after that, decided by one conditional UPDATE on the row.
/// - A lease is spent within `leaseLifetime` or forfeited, never handed back (giving units back
///   after others leased could let the fleet overspend); so what the fleet admits conforms to the
///   quota shifted by at most one lifetime, and the waste is at most one lease per instance per
///   lifetime.
/// - A permit over several quotas (requests and tokens) is taken from all of them or from none.
/// - Callers short of units on one key wait for one lease between them, not one each.
/// - When the database cannot be reached it refuses for a second: an outage never lets the fleet
///   overspend.
/// - A pause (a provider's 429 seen by one instance) holds the fleet: nothing is leased before
///   it ends; instances spend at most what they already held, a lease lifetime of the rate each.
///
/// Time is the injected clock's, so the instances' clocks must agree (NTP) to within a small
/// part of a lease.
public final class SharedRateBudget: Sendable {
    /// How long a lease may be spent; a lease is this much of its quota's rate.
    public let leaseLifetime: Duration
    private let backend: any Backend
    private let clock: any WallClock
    private let pools = Mutex<[Slot: Pool]>([:])

    public init(backend: any Backend, clock: any WallClock, leaseLifetime: Duration = .milliseconds(500)) {
        self.backend = backend
        self.clock = clock
        self.leaseLifetime = .milliseconds(max(1, leaseLifetime.milliseconds))
    }

    /// One key's quota, as the database names its row.
    struct Slot: Hashable, Sendable {
        let key: String
        let quota: Quota

        var row: String { "\(key)|\(quota.unit.rawValue)|\(quota.limit)/\(quota.period.milliseconds)ms/\(quota.burst)" }
    }

    /// What this instance holds of a slot: units of a lease not yet spent (negative: owed by a
    /// correction, paid from the next lease), until when they may be spent, the lease being
    /// asked for, and the last refusal: until when the database said no to how many units.
    struct Pool: Sendable {
        var units = 0
        var expiresAt: Int64 = 0
        var refusedUntil: Int64 = 0
        var refusedNeed = 0
        var leasing: Task<Void, Never>?

        mutating func forfeitIfExpired(now: Int64) {
            if expiresAt <= now { units = min(units, 0) }
        }
    }

    // MARK: Taking

    /// Takes `permit` from the shared budget of every quota in `quotas` (all or nothing).
    /// - Returns: nil once taken; otherwise how long until it might fit (nothing taken).
    public func take(_ permit: Permit, key: String, quotas: [Quota]) async -> Duration? {
        var taken: [(Slot, Int)] = []
        for quota in quotas {
            let units = permit.units(of: quota.unit)
            guard units > 0 else { continue }
            let slot = Slot(key: key, quota: quota)
            if let wait = await take(units, from: slot) {
                for (slot, units) in taken { giveBack(units, to: slot) }
                return wait
            }
            taken.append((slot, units))
        }
        return nil
    }

    /// Replaces an estimated permit by what was used (an LLM call's tokens): extra units come
    /// from this instance's lease, and what it lacks is taken from the database at once even past
    /// the quota (the fleet then waits for it); unused units go back to the lease while it lasts.
    public func correct(key: String, quotas: [Quota], estimated: Permit, actual: Permit) async {
        let now = clock.now().millisecondsSince1970
        for quota in quotas {
            let delta = actual.units(of: quota.unit) - estimated.units(of: quota.unit)
            guard delta != 0 else { continue }
            let slot = Slot(key: key, quota: quota)
            guard delta > 0 else {
                giveBack(-delta, to: slot)
                continue
            }
            let lacking = pools.withLock { pools in
                var pool = pools[slot] ?? Pool()
                defer { pools[slot] = pool }
                pool.forfeitIfExpired(now: now)
                let fromLease = min(max(pool.units, 0), delta)
                pool.units -= fromLease
                return delta - fromLease
            }
            guard lacking > 0 else { continue }
            do {
                try await backend.write { tx in try Self.owe(lacking, of: slot, nowMicroseconds: now * 1_000, in: tx) }
            } catch {
                // Unreachable: the debt stays here and the next lease pays it.
                pools.withLock { $0[slot, default: Pool()].units -= lacking }
            }
        }
    }

    private enum Step {
        case taken
        case refused(milliseconds: Int64)
        case wait(Task<Void, Never>)
    }

    private func take(_ units: Int, from slot: Slot) async -> Duration? {
        while true {
            let now = clock.now().millisecondsSince1970
            let step: Step = pools.withLock { pools in
                var pool = pools[slot] ?? Pool()
                defer { pools[slot] = pool }
                pool.forfeitIfExpired(now: now)
                if pool.units >= units {
                    pool.units -= units
                    return .taken
                }
                if let leasing = pool.leasing { return .wait(leasing) }
                let need = units - pool.units
                // What was refused is refused until then; a smaller need may still fit.
                if pool.refusedUntil > now, need >= pool.refusedNeed { return .refused(milliseconds: pool.refusedUntil - now) }
                let leasing = Task { await self.lease(slot, need: need) }
                pool.leasing = leasing
                return .wait(leasing)
            }
            switch step {
            case .taken: return nil
            case .refused(let milliseconds): return .milliseconds(milliseconds)
            case .wait(let leasing): await leasing.value
            }
        }
    }

    /// Units of a lease that will not be used after all; lost if the lease has expired.
    private func giveBack(_ units: Int, to slot: Slot) {
        let now = clock.now().millisecondsSince1970
        pools.withLock { pools in
            guard var pool = pools[slot], pool.expiresAt > now else { return }
            pool.units += units
            pools[slot] = pool
        }
    }

    // MARK: Pausing

    /// Holds the fleet off `key` until `end` (ms since 1970): no row of its quotas leases
    /// anything before then, and from then on only at each quota's rate, the burst refilling
    /// gradually (one arrival time per row can promise nothing gentler). A later end wins, an
    /// earlier one changes nothing. An unreachable database leaves the pause to this instance.
    func pause(key: String, quotas: [Quota], until end: Int64) async {
        try? await backend.write { tx in
            for quota in quotas { try Self.hold(Slot(key: key, quota: quota), untilMicroseconds: end * 1_000, in: tx) }
        }
    }

    /// Moves the slot's arrival time to where nothing fits before `end`: one unit fits once
    /// `tat - now <= (burst - 1) · period / limit`, so `tat` is just past `end` plus that.
    static func hold(_ slot: Slot, untilMicroseconds end: Int64, in tx: Transaction) throws {
        let quota = slot.quota
        let limit = Int64(max(quota.limit, 1))
        let tat = end + (Int64(max(quota.burst, 1) - 1) * quota.period.milliseconds * 1_000 + limit - 1) / limit + 1
        try tx.run("""
            INSERT INTO rate_budgets AS r (key, tat) VALUES (\(slot.row), \(tat))
            ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, \(tat))
            """)
    }

    // MARK: Leasing

    /// Leases at least `need` units of `slot` from the database (more, up to a lifetime of its
    /// rate, when they fit) into the pool, or records until when the database refused.
    private func lease(_ slot: Slot, need: Int) async {
        let started = clock.now()
        let now = started.millisecondsSince1970
        let quota = slot.quota
        let lifetime = leaseLifetime.milliseconds
        let periodMilliseconds = max(1, quota.period.milliseconds)
        let rateShare = Int((Double(quota.limit) * Double(lifetime) / Double(periodMilliseconds)).rounded(.up))
        let chunk = max(need, min(quota.burst, rateShare))
        let verdict: Verdict
        // An outage refuses every need for a while, a refusal by the row this need and larger.
        var refusedNeed = need
        do {
            verdict = try await backend.write { tx in
                try Self.lease(slot, chunk: chunk, need: need, nowMicroseconds: now * 1_000, in: tx)
            }
        } catch {
            verdict = .refused(microseconds: 1_000_000)
            refusedNeed = 1
        }
        // The lease lives from its answer: a slow database must not expire it before the callers
        // waiting for it could spend it (they would lease again and again, burning the budget).
        let answered = clock.now().millisecondsSince1970
        pools.withLock { pools in
            var pool = pools[slot] ?? Pool()
            pool.leasing = nil
            switch verdict {
            case .granted(let units):
                pool.forfeitIfExpired(now: answered)
                pool.units += units
                pool.expiresAt = answered + lifetime
                pool.refusedUntil = 0
            case .refused(let microseconds):
                pool.refusedUntil = now + max(1, (microseconds + 999) / 1_000)
                pool.refusedNeed = refusedNeed
            }
            pools[slot] = pool
        }
    }

    enum Verdict: Sendable, Equatable {
        case granted(Int)
        case refused(microseconds: Int64)
    }

    /// Takes `units` from the slot's row whatever its room: used beyond a lease, so owed.
    static func owe(_ units: Int, of slot: Slot, nowMicroseconds now: Int64, in tx: Transaction) throws {
        let period = slot.quota.period.milliseconds * 1_000
        let row = slot.row
        try tx.run("""
            INSERT INTO rate_budgets AS r (key, tat) VALUES (\(row), \(now) + ceil(\(Int64(units))::numeric * \(period) / \(Int64(slot.quota.limit)))::bigint)
            ON CONFLICT (key) DO UPDATE
            SET tat = greatest(r.tat, \(now)) + ceil(\(Int64(units))::numeric * \(period) / \(Int64(slot.quota.limit)))::bigint
            """)
    }

    /// GCRA on the slot's row, in microseconds: `base` is the later of its theoretical arrival
    /// time and now; `burst - (base - now) · limit / period` units fit now; the lease takes up to
    /// `chunk` of them if at least `need` fit, and moves the arrival time by their emission time.
    static func lease(_ slot: Slot, chunk: Int, need: Int, nowMicroseconds now: Int64, in tx: Transaction) throws -> Verdict {
        let quota = slot.quota
        let period = quota.period.milliseconds * 1_000
        let row = slot.row
        try tx.send("INSERT INTO rate_budgets (key, tat) VALUES (\(row), 0) ON CONFLICT (key) DO NOTHING")
        let answer = try tx.first("""
            WITH b AS (
                SELECT key, greatest(tat, \(now)) AS base FROM rate_budgets WHERE key = \(row) FOR UPDATE
            ), g AS (
                SELECT key, base,
                       least(\(Int64(chunk)), floor(\(Int64(quota.burst)) - (base - \(now))::numeric * \(Int64(quota.limit)) / \(period)))::bigint AS granted
                FROM b
            ), u AS (
                UPDATE rate_budgets r SET tat = g.base + ceil(g.granted::numeric * \(period) / \(Int64(quota.limit)))::bigint
                FROM g WHERE r.key = g.key AND g.granted >= \(Int64(need))
                RETURNING g.granted
            )
            SELECT g.base, (SELECT granted FROM u) AS taken FROM g
            """) { answer in (base: answer["base"] as Int64, taken: answer["taken"] as Int64?) }
        guard let answer else { throw StoreError(kind: .constraint, message: "rate budget row \(row) is missing") }
        if let taken = answer.taken { return .granted(Int(taken)) }
        // `need` fits once base - now <= (burst - need) · period / limit.
        let room = Int64((Double(quota.burst - need) * Double(period) / Double(quota.limit)).rounded(.down))
        return .refused(microseconds: max(1, answer.base - now - room))
    }
}
