import Foundation
import Testing
@testable import Runtime

/// A database with the wallets' tables on one backend, and the wallets on a test clock.
private struct WalletHarness {
    let backend: any Backend
    let wallets: Wallets

    static func open(_ kind: BackendKind) async throws -> WalletHarness { try await open(try await kind.database()) }

    /// Opens `database` (again, after a "crash": the same file or PostgreSQL database).
    static func open(_ database: TestDatabase) async throws -> WalletHarness {
        let backend = try await database.openRuntime()
        return WalletHarness(backend: backend, wallets: Wallets(backend: backend, clock: TestClock()))
    }

    func expectBalanced() async throws {
        let problems = try await wallets.audit()
        #expect(problems.isEmpty, "\(problems)")
    }
}

private func walletError(_ body: () async throws -> some Any) async -> WalletError.Code? {
    do {
        _ = try await body()
        return nil
    } catch let error as WalletError {
        return error.code
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

@Suite("Wallets")
struct WalletTests {
    @Test("10,000 concurrent reservations against a wallet that affords 1,234: exactly 1,234 succeed", arguments: BackendKind.allCases)
    func concurrentReservations(_ kind: BackendKind) async throws {
        let harness = try await WalletHarness.open(kind)
        let wallet = WalletKey.team("acme")
        let price = MicroUSD(1_250)
        _ = try await harness.wallets.credit(MicroUSD(price.value * 1_234), to: wallet, reference: "payment-1")
        let outcomes = await withTaskGroup(of: Result<Reservation, any Error>.self) { group in
            for index in 0..<10_000 {
                group.addTask {
                    do { return .success(try await harness.wallets.reserve(price, on: wallet, reference: "op-\(index)")) }
                    catch { return .failure(error) }
                }
            }
            var outcomes: [Result<Reservation, any Error>] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let reservations = outcomes.compactMap { try? $0.get() }
        #expect(reservations.count == 1_234)
        let refusals = outcomes.compactMap { outcome -> WalletError.Code? in
            if case .failure(let error as WalletError) = outcome { return error.code }
            return nil
        }
        #expect(refusals.count == 10_000 - 1_234 && refusals.allSatisfy { $0 == .insufficientCredits })
        var balance = try #require(try await harness.wallets.balance(of: wallet))
        #expect(balance.available == .zero && balance.reserved.value == price.value * 1_234)
        try await harness.expectBalanced()

        // Settle half at a lower cost, release the rest: the ledger still balances.
        for (index, reservation) in reservations.enumerated() {
            if index.isMultiple(of: 2) { _ = try await harness.wallets.settle(reservation, actualCost: MicroUSD(1_000)) }
            else { _ = try await harness.wallets.release(reservation) }
        }
        balance = try #require(try await harness.wallets.balance(of: wallet))
        #expect(balance.reserved == .zero && balance.balance.value == price.value * 1_234 - 617 * 1_000)
        try await harness.expectBalanced()
    }

    @Test("settling twice charges once; release after settle changes nothing; excess cost is recorded, not charged", arguments: BackendKind.allCases)
    func settleIdempotent(_ kind: BackendKind) async throws {
        let harness = try await WalletHarness.open(kind)
        let wallet = WalletKey.user("acme", "u1")
        _ = try await harness.wallets.credit(MicroUSD(usd: 1), to: wallet)
        let reservation = try await harness.wallets.reserve(MicroUSD(100_000), on: wallet, reference: "job-1")
        #expect(try await harness.wallets.reserve(MicroUSD(100_000), on: wallet, reference: "job-1") == reservation)

        // Two concurrent settlements and a late one: one charge.
        async let first = harness.wallets.settle(reservation, actualCost: MicroUSD(150_000))
        async let second = harness.wallets.settle(reservation, actualCost: MicroUSD(150_000))
        let (a, b) = try await (first, second)
        #expect(a == b && a.state == .settled && a.charged == MicroUSD(100_000) && a.uncharged == MicroUSD(50_000))
        #expect(try await harness.wallets.settle(reservation, actualCost: MicroUSD(1)) == a)
        #expect(try await harness.wallets.release(reservation) == a)
        // Reserving a settled reference again does not reserve: the operation is done.
        #expect(try await harness.wallets.reserve(MicroUSD(100_000), on: wallet, reference: "job-1") == a)

        let balance = try #require(try await harness.wallets.balance(of: wallet))
        #expect(balance.balance == MicroUSD(900_000) && balance.reserved == .zero)
        let ledger = try #require(try await harness.wallets.ledger(walletID: balance.id, tenant: "acme"))
        #expect(ledger.map(\.kind) == [.settle, .reserve, .credit])
        #expect(ledger[0].detail?.contains("0.05") == true)
        try await harness.expectBalanced()

        // A release is idempotent too, and a released reference may be reserved afresh.
        let other = try await harness.wallets.reserve(MicroUSD(10), on: wallet, reference: "job-2")
        let released = try await harness.wallets.release(other)
        #expect(try await harness.wallets.release(other) == released && released.state == .released)
        let again = try await harness.wallets.reserve(MicroUSD(10), on: wallet, reference: "job-2")
        #expect(again.id != other.id && again.state == .held)
        try await harness.expectBalanced()

        // Settling in a transaction can answer the balance once settled, as a read after it
        // finds it; a settled reservation settles no more and answers the same balance.
        let wallets = harness.wallets
        let (settledAgain, balanceAfter) = try await harness.backend.write { tx in
            try wallets.settleReadingBalance(again, actualCost: MicroUSD(7), now: Date(), in: tx)
        }
        #expect(settledAgain.state == .settled && settledAgain.charged == MicroUSD(7))
        #expect(balanceAfter == MicroUSD(900_000 - 7))
        #expect(balanceAfter == (try await harness.wallets.balance(of: wallet))?.balance)
        let (_, balanceRepeated) = try await harness.backend.write { tx in
            try wallets.settleReadingBalance(again, actualCost: MicroUSD(7), now: Date(), in: tx)
        }
        #expect(balanceRepeated == balanceAfter)
        try await harness.expectBalanced()
    }

    @Test("a budget ceiling refuses before reserving; bad amounts and references are refused", arguments: BackendKind.allCases)
    func ceilingsAndValidation(_ kind: BackendKind) async throws {
        let harness = try await WalletHarness.open(kind)
        let wallet = WalletKey.team("acme")
        _ = try await harness.wallets.credit(MicroUSD(usd: 10), to: wallet)
        #expect(await walletError { try await harness.wallets.reserve(MicroUSD(60_000), on: wallet, reference: "r", ceiling: MicroUSD(50_000)) } == .budgetExceeded)
        #expect(try await harness.wallets.balance(of: wallet)?.reserved == .zero)
        #expect(await walletError { try await harness.wallets.reserve(.zero, on: wallet, reference: "r") } == .invalidRequest)
        #expect(await walletError { try await harness.wallets.reserve(MicroUSD(-5), on: wallet, reference: "r") } == .invalidRequest)
        #expect(await walletError { try await harness.wallets.reserve(MicroUSD(1), on: wallet, reference: "") } == .invalidRequest)
        #expect(await walletError { try await harness.wallets.credit(MicroUSD(MicroUSD.maximum.value + 1), to: wallet) } == .invalidRequest)
        #expect(await walletError { try await harness.wallets.reserve(MicroUSD(1), on: .team("nobody"), reference: "r") } == .insufficientCredits)
        #expect(await walletError { try WalletKey(tenant: "acme", parsing: "admin") } == .invalidRequest)
        #expect(try WalletKey(tenant: "acme", parsing: "user:u-7") == .user("acme", "u-7"))
        try await harness.expectBalanced()
    }

    @Test("credits are idempotent by reference; adjustments never go below what is reserved; refunds never exceed the charge", arguments: BackendKind.allCases)
    func creditsAdjustmentsRefunds(_ kind: BackendKind) async throws {
        let harness = try await WalletHarness.open(kind)
        let wallet = WalletKey.team("acme")
        #expect(try await harness.wallets.credit(MicroUSD(usd: 5), to: wallet, reference: "pay-1").applied)
        #expect(try await !harness.wallets.credit(MicroUSD(usd: 5), to: wallet, reference: "pay-1").applied)
        let reservation = try await harness.wallets.reserve(MicroUSD(usd: 3), on: wallet, reference: "job")
        #expect(await walletError { try await harness.wallets.adjust(wallet, by: MicroUSD(-2_000_001), reference: "adj-1", reason: "oops") } == .insufficientCredits)
        #expect(try await harness.wallets.adjust(wallet, by: MicroUSD(-2_000_000), reference: "adj-1", reason: "fee").balance.available == .zero)
        let settled = try await harness.wallets.settle(reservation, actualCost: MicroUSD(usd: 1))
        #expect(try await harness.wallets.refund(MicroUSD(600_000), of: settled, reference: "refund-1").applied)
        #expect(try await !harness.wallets.refund(MicroUSD(600_000), of: settled, reference: "refund-1").applied)
        #expect(await walletError { try await harness.wallets.refund(MicroUSD(400_001), of: settled, reference: "refund-2") } == .invalidRequest)
        let balance = try #require(try await harness.wallets.balance(of: wallet))
        #expect(balance.balance == MicroUSD(usd: 5) - MicroUSD(usd: 2) - MicroUSD(usd: 1) + MicroUSD(600_000))
        try await harness.expectBalanced()
    }

    @Test("reservations left by a dead process are settled by their finished job's cost, released without a job, kept while their job may run", arguments: BackendKind.allCases)
    func reconcileAfterCrash(_ kind: BackendKind) async throws {
        let database = try await kind.database()
        let finishedJob = JobID(rawValue: 1 << 40), pendingJob = JobID(rawValue: 2 << 40), runningJob = JobID(rawValue: 3 << 40)
        do {
            // The "dead" process: reserves, then vanishes without settling or closing the store.
            let crashed = try await WalletHarness.open(database)
            _ = try await crashed.wallets.credit(MicroUSD(usd: 1), to: .team("acme"))
            _ = try await crashed.wallets.reserve(MicroUSD(200_000), on: .team("acme"), reference: "a", jobID: finishedJob)
            _ = try await crashed.wallets.reserve(MicroUSD(300_000), on: .team("acme"), reference: "b", jobID: pendingJob)
            _ = try await crashed.wallets.reserve(MicroUSD(100_000), on: .team("acme"), reference: "c")
            // A job another instance runs right now: its hold is not the dead process's to close.
            _ = try await crashed.wallets.reserve(MicroUSD(50_000), on: .team("acme"), reference: "job:running", jobID: runningJob)
        }
        let restarted = try await WalletHarness.open(database)
        #expect(try await restarted.wallets.balance(of: .team("acme"))?.reserved == MicroUSD(650_000))
        let jobs: [JobID: JobRecord] = [
            finishedJob: .stub(id: finishedJob, state: .succeeded, result: #"{"text":"hi","costMicroUSD":123456}"#),
            pendingJob: .stub(id: pendingJob, state: .queued, result: nil),
            runningJob: .stub(id: runningJob, state: .running, result: nil),
        ]
        let report = try await restarted.wallets.reconcile(job: { jobs[$0] })
        // Settled: the finished job's; released: the one without a job; kept: the running job's and
        // the queued one's (their next run reserves with the same reference and gets the hold back).
        #expect(report.settled == 1 && report.released == 1)
        let balance = try #require(try await restarted.wallets.balance(of: .team("acme")))
        #expect(balance.reserved == MicroUSD(350_000) && balance.balance == MicroUSD(1_000_000 - 123_456))
        #expect(try await restarted.wallets.reconcile(job: { jobs[$0] }) == (0, 0))
        try await restarted.expectBalanced()
    }

    @Test("charges against a held reservation: concurrent, capped at what it holds, idempotent by reference; closing frees the rest", arguments: BackendKind.allCases)
    func chargesAgainstAHold(_ kind: BackendKind) async throws {
        let harness = try await WalletHarness.open(kind)
        let wallet = WalletKey.team("acme")
        _ = try await harness.wallets.credit(MicroUSD(1_000_000), to: wallet)
        let hold = try await harness.wallets.reserve(MicroUSD(100_000), on: wallet, reference: "hold:batch:1")
        // 120 concurrent charges of 1,000 against a hold of 100,000: 100 fit whole, the rest get 0.
        let charged = try await withThrowingTaskGroup(of: (Int, MicroUSD).self) { group in
            for item in 0..<120 {
                group.addTask {
                    (item, try await harness.wallets.charge(MicroUSD(1_000), againstReservation: hold.id, on: wallet, reference: "job:\(item)"))
                }
            }
            return try await group.reduce(into: [Int: MicroUSD]()) { $0[$1.0] = $1.1 }
        }
        #expect(charged.values.reduce(MicroUSD(0), +) == MicroUSD(100_000))
        #expect(charged.values.filter { $0 == MicroUSD(1_000) }.count == 100)
        // Charging again by a used reference answers the first charge and takes nothing.
        let paid = try #require(charged.first { $0.value == MicroUSD(1_000) }?.key)
        let unpaid = try #require(charged.first { $0.value == MicroUSD(0) }?.key)
        #expect(try await harness.wallets.charge(MicroUSD(5_000), againstReservation: hold.id, on: wallet, reference: "job:\(paid)") == MicroUSD(1_000))
        #expect(try await harness.wallets.charge(MicroUSD(5_000), againstReservation: hold.id, on: wallet, reference: "job:\(unpaid)") == MicroUSD(0))
        var balance = try #require(try await harness.wallets.balance(of: wallet))
        #expect(balance.balance == MicroUSD(900_000) && balance.reserved == MicroUSD(0))
        try await harness.expectBalanced()
        let closed = try await harness.wallets.release(hold)
        #expect(closed.state == .settled && closed.charged == MicroUSD(100_000))
        balance = try #require(try await harness.wallets.balance(of: wallet))
        #expect(balance.balance == MicroUSD(900_000) && balance.reserved == MicroUSD(0))
        // A closed hold takes no new charge; an old reference is still answered.
        #expect(await walletError { try await harness.wallets.charge(MicroUSD(1), againstReservation: hold.id, on: wallet, reference: "job:new") } == .notFound)
        #expect(try await harness.wallets.charge(MicroUSD(9), againstReservation: hold.id, on: wallet, reference: "job:\(paid)") == MicroUSD(1_000))
        try await harness.expectBalanced()
    }

    @Test("a voided charge goes back to its hold, once; a charge that was never made voids nothing", arguments: BackendKind.allCases)
    func voidCharge(_ kind: BackendKind) async throws {
        let harness = try await WalletHarness.open(kind)
        let wallet = WalletKey.team("acme")
        _ = try await harness.wallets.credit(MicroUSD(1_000_000), to: wallet)
        let hold = try await harness.wallets.reserve(MicroUSD(100_000), on: wallet, reference: "hold:batch:9")
        _ = try await harness.wallets.charge(MicroUSD(30_000), againstReservation: hold.id, on: wallet, reference: "job:1")
        #expect(try await harness.wallets.voidCharge(againstReservation: hold.id, on: wallet, reference: "job:1") == MicroUSD(30_000))
        #expect(try await harness.wallets.voidCharge(againstReservation: hold.id, on: wallet, reference: "job:1") == .zero)
        #expect(try await harness.wallets.voidCharge(againstReservation: hold.id, on: wallet, reference: "job:2") == .zero)
        var balance = try #require(try await harness.wallets.balance(of: wallet))
        #expect(balance.balance == MicroUSD(1_000_000) && balance.reserved == MicroUSD(100_000))
        // The whole hold is chargeable again.
        #expect(try await harness.wallets.charge(MicroUSD(100_000), againstReservation: hold.id, on: wallet, reference: "job:3") == MicroUSD(100_000))
        _ = try await harness.wallets.release(try #require(try await harness.wallets.reservation(hold.id, on: wallet)))
        balance = try #require(try await harness.wallets.balance(of: wallet))
        #expect(balance.balance == MicroUSD(900_000) && balance.reserved == .zero)
        try await harness.expectBalanced()
    }

    @Test("a partly charged hold released leaves exactly its charges; a durable hold survives restart reconciliation", arguments: BackendKind.allCases)
    func partlyChargedHoldAcrossRestart(_ kind: BackendKind) async throws {
        let database = try await kind.database()
        let wallet = WalletKey.team("acme")
        let holdID: Int64
        do {
            let crashed = try await WalletHarness.open(database)
            _ = try await crashed.wallets.credit(MicroUSD(1_000_000), to: wallet)
            let hold = try await crashed.wallets.reserve(MicroUSD(300_000), on: wallet, reference: Wallets.durableHoldPrefix + "batch:7")
            holdID = hold.id
            #expect(try await crashed.wallets.charge(MicroUSD(40_000), againstReservation: hold.id, on: wallet, reference: "job:1") == MicroUSD(40_000))
            _ = try await crashed.wallets.reserve(MicroUSD(10_000), on: wallet, reference: "job:9")
        }
        let restarted = try await WalletHarness.open(database)
        let report = try await restarted.wallets.reconcile(job: { _ in nil })
        #expect(report == (0, 1))  // the job's reservation released, the batch's hold kept
        var balance = try #require(try await restarted.wallets.balance(of: wallet))
        #expect(balance.balance == MicroUSD(960_000) && balance.reserved == MicroUSD(260_000))
        // The charge made before the crash is answered again, not taken twice.
        #expect(try await restarted.wallets.charge(MicroUSD(40_000), againstReservation: holdID, on: wallet, reference: "job:1") == MicroUSD(40_000))
        #expect(try await restarted.wallets.charge(MicroUSD(500_000), againstReservation: holdID, on: wallet, reference: "job:2") == MicroUSD(260_000))
        let hold = try #require(try await restarted.wallets.reservation(holdID, on: wallet))
        #expect(hold.charged == MicroUSD(300_000) && hold.uncharged == MicroUSD(240_000))
        _ = try await restarted.wallets.release(hold)
        balance = try #require(try await restarted.wallets.balance(of: wallet))
        #expect(balance.balance == MicroUSD(700_000) && balance.reserved == MicroUSD(0))
        try await restarted.expectBalanced()
    }

    @Test("the ledger pages newest first and only for the wallet's own tenant", arguments: BackendKind.allCases)
    func ledgerPaging(_ kind: BackendKind) async throws {
        let harness = try await WalletHarness.open(kind)
        for index in 1...5 { _ = try await harness.wallets.credit(MicroUSD(Int64(index)), to: .team("acme"), reference: "p\(index)") }
        let id = try #require(try await harness.wallets.balance(of: .team("acme"))?.id)
        let first = try #require(try await harness.wallets.ledger(walletID: id, tenant: "acme", limit: 2))
        #expect(first.map(\.amount.value) == [5, 4])
        let second = try #require(try await harness.wallets.ledger(walletID: id, tenant: "acme", before: first.last?.id, limit: 2))
        #expect(second.map(\.amount.value) == [3, 2])
        #expect(try await harness.wallets.ledger(walletID: id, tenant: "other") == nil)
        #expect(try await harness.wallets.wallets(of: "acme").map(\.key) == [.team("acme")])
    }
}

@Suite("Money")
struct MoneyTests {
    @Test("decimal USD strings parse exactly", arguments: [
        ("0", 0), ("12", 12_000_000), ("0.05", 50_000), ("0.000125", 125), ("1.5", 1_500_000), ("007.10", 7_100_000),
        ("0.000001", 1), ("1000000000", 1_000_000_000_000_000), ("999999999.999999", 999_999_999_999_999),
    ] as [(String, Int64)])
    func parses(text: String, micros: Int64) throws {
        #expect(try MicroUSD(parsingUSD: text).value == micros)
    }

    @Test("bad amounts are refused with a reason", arguments: [
        ("", MoneyError.Reason.empty), ("-1", .negative), ("-0.01", .negative), ("0.0000001", .tooPrecise),
        ("1.", .malformed), (".5", .malformed), ("1e3", .malformed), (" 1", .malformed), ("+1", .malformed), ("1,5", .malformed),
        ("0x10", .malformed), ("١", .malformed), ("1000000000.000001", .tooLarge), ("99999999999999999999999", .tooLarge),
        ("NaN", .malformed), ("1.2.3", .malformed),
    ])
    func refuses(text: String, reason: MoneyError.Reason) {
        #expect(throws: MoneyError.self) { try MicroUSD(parsingUSD: text) }
        do { _ = try MicroUSD(parsingUSD: text) } catch { #expect(error.reason == reason) }
    }

    @Test("amounts print as decimal USD strings")
    func prints() {
        #expect(MicroUSD(125).usdString == "0.000125")
        #expect(MicroUSD(usd: 12).usdString == "12.00")
        #expect(MicroUSD(50_000).usdString == "0.05")
        #expect(MicroUSD(-1_500_000).usdString == "-1.50")
        #expect(MicroUSD(1_234_567).usdString == "1.234567")
    }
}

extension JobRecord {
    static func stub(id: JobID, state: JobState, result: String?) -> JobRecord {
        let now = Date()
        return JobRecord(id: id, tenant: "acme", kind: "test", payload: Data("{}".utf8), priority: 0, runAt: now, attempts: 1,
                         maxAttempts: 3, recoveries: 0, state: state, leaseOwner: nil, leaseExpiresAt: nil, cancelRequested: false,
                         lastError: nil, result: result.map { Data($0.utf8) }, uniqueKey: nil, batchID: nil,
                         createdAt: now, updatedAt: now, startedAt: now, finishedAt: nil)
    }
}
