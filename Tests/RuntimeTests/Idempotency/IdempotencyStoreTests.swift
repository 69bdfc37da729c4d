import Foundation
import Testing
@testable import Runtime

@Suite("Idempotency")
struct IdempotencyStoreTests {
    /// A store on the test's database (SQLite: the idempotency table only).
    private static func open(_ directory: TestDatabase, clock: TestClock, owner: String = "process-a",
                             ttl: Duration = .seconds(24 * 60 * 60), lease: Duration = .seconds(60))
        async throws -> (database: any Backend, store: IdempotencyStore) {
        let database = try await directory.open(sqlite: IdempotencySchema.migrations, postgres: PostgresSchema.migrations)
        let store = IdempotencyStore(backend: database, clock: clock,
                                     configuration: IdempotencyConfiguration(ttl: ttl, leaseDuration: lease, owner: owner))
        return (database, store)
    }

    private static func rowCount(_ database: any Backend) async throws -> Int {
        try await database.read { tx in try tx.first("SELECT count(*) AS n FROM idempotency_keys") { $0["n"] as Int } ?? -1 }
    }

    private static func keys(_ database: any Backend, order: String = "key") async throws -> [String] {
        try await database.read { tx in try tx.all("SELECT key FROM idempotency_keys ORDER BY \(raw: order)") { $0["key"] as String } }
    }

    private static let first = Data(repeating: 0xA1, count: 32)
    private static let second = Data(repeating: 0xB2, count: 32)
    private static let response = StoredResponse(
        status: 201,
        headers: [("content-type", "application/json"), ("location", "/v1/jobs/01HZX3"), ("x-empty", ""), ("x-spaces", "  a : b ")],
        body: Data([0x7B, 0x00, 0xFF, 0xFE, 0x7D]))

    @Test(arguments: BackendKind.allCases) func replaysTheStoredResponseForTheSameRequest(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let (database, store) = try await Self.open(directory, clock: TestClock())
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .proceed)
        #expect(try await store.complete(tenant: "t1", key: "k1", response: Self.response))
        let again = try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first)
        guard case .replay(let replayed) = again else {
            Issue.record("expected a replay, got \(again)")
            await database.close()
            return
        }
        #expect(replayed.status == 201)
        #expect(replayed.headers.map(\.name) == ["content-type", "location", "x-empty", "x-spaces"])
        #expect(replayed.headers.map(\.value) == ["application/json", "/v1/jobs/01HZX3", "", "  a : b "])
        #expect(replayed.body == Self.response.body)
        #expect(replayed == Self.response)
        #expect(replayed.header("Location") == "/v1/jobs/01HZX3")
        // The hex form of the same digest is the same request; an empty body replays as empty.
        let hex = String(repeating: "a1", count: 32)
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: hex.uppercased()) == .replay(Self.response))
        #expect(try await store.begin(tenant: "t1", key: "k2", fingerprint: hex) == .proceed)
        try await store.complete(tenant: "t1", key: "k2", response: StoredResponse(status: 204))
        #expect(try await store.begin(tenant: "t1", key: "k2", fingerprint: Self.first) == .replay(StoredResponse(status: 204)))
        // Keys are per tenant.
        #expect(try await store.begin(tenant: "t2", key: "k1", fingerprint: Self.second) == .proceed)
        await database.close()
    }

    @Test(arguments: BackendKind.allCases) func anotherRequestWithTheKeyIsAMismatchInFlightAndAfterCompletion(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let (database, store) = try await Self.open(directory, clock: TestClock())
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .proceed)
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.second) == .mismatch)
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .conflict)
        // Completing on behalf of the other request stores nothing.
        #expect(try await !store.complete(tenant: "t1", key: "k1", response: Self.response,
                                          fingerprint: RequestFingerprint(Self.second)))
        #expect(try await store.complete(tenant: "t1", key: "k1", response: Self.response,
                                         fingerprint: RequestFingerprint(Self.first)))
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.second) == .mismatch)
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .replay(Self.response))
        await database.close()
    }

    @Test(arguments: BackendKind.allCases) func concurrentBeginsOnOneKeyGiveExactlyOneProceed(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let clock = TestClock()
        let (database, store) = try await Self.open(directory, clock: clock)
        let decisions = try await withThrowingTaskGroup(of: IdempotencyDecision.self) { group in
            for _ in 0..<100 { group.addTask { try await store.begin(tenant: "t1", key: "hot", fingerprint: Self.first) } }
            var all: [IdempotencyDecision] = []
            for try await decision in group { all.append(decision) }
            return all
        }
        #expect(decisions.count == 100)
        #expect(decisions.filter { $0 == .proceed }.count == 1)
        #expect(decisions.filter { $0 == .conflict }.count == 99)

        // Two processes (two stores on one database, each with its own connections) racing.
        let other = try await Self.open(directory, clock: clock, owner: "process-b")
        let raced = try await withThrowingTaskGroup(of: IdempotencyDecision.self) { group in
            for index in 0..<100 {
                let racer = index.isMultiple(of: 2) ? store : other.store
                group.addTask { try await racer.begin(tenant: "t1", key: "raced", fingerprint: Self.first) }
            }
            var all: [IdempotencyDecision] = []
            for try await decision in group { all.append(decision) }
            return all
        }
        #expect(raced.filter { $0 == .proceed }.count == 1)
        #expect(raced.filter { $0 == .conflict }.count == 99)
        await other.database.close()
        await database.close()
    }

    @Test(arguments: BackendKind.allCases) func keysExpireAfterTheTTLAndPurgeDeletesOnlyExpiredRows(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let clock = TestClock()
        let (database, store) = try await Self.open(directory, clock: clock, ttl: .seconds(3600), lease: .seconds(60))
        let start = clock.now()
        #expect(try await store.begin(tenant: "t1", key: "early", fingerprint: Self.first) == .proceed)
        try await store.complete(tenant: "t1", key: "early", response: Self.response)
        clock.advance(by: .seconds(600))
        #expect(try await store.begin(tenant: "t1", key: "late", fingerprint: Self.first) == .proceed)
        try await store.complete(tenant: "t1", key: "late", response: Self.response)
        #expect(try await store.begin(tenant: "t1", key: "stuck", fingerprint: Self.first) == .proceed)  // lease ends at +660 s

        // Nothing has expired yet.
        #expect(try await store.purgeExpired() == 0)
        #expect(try await Self.rowCount(database) == 3)

        // Just before the TTL the response is replayed; at the TTL the key is free again.
        clock.advance(to: start.addingTimeInterval(3600 - 0.001))
        #expect(try await store.begin(tenant: "t1", key: "early", fingerprint: Self.first) == .replay(Self.response))
        clock.advance(to: start.addingTimeInterval(3600))
        // Purge deletes the expired response and the dead in-flight mark, and only those.
        #expect(try await store.purgeExpired() == 2)
        #expect(try await Self.keys(database) == ["late"])
        #expect(try await store.begin(tenant: "t1", key: "early", fingerprint: Self.second) == .proceed)
        #expect(try await store.begin(tenant: "t1", key: "late", fingerprint: Self.first) == .replay(Self.response))

        // An expired row that was not purged yet is taken over by the next begin, as a new
        // row: the rows stay in creation order.
        clock.advance(to: start.addingTimeInterval(600 + 3600))
        #expect(try await store.begin(tenant: "t1", key: "late", fingerprint: Self.second) == .proceed)
        #expect(try await Self.keys(database, order: "id") == ["early", "late"])
        #expect(try await store.begin(tenant: "t1", key: "early", fingerprint: Self.second) == .proceed)
        #expect(try await Self.keys(database, order: "id") == ["late", "early"])

        // A purge is bounded by its limit, and takes `now` from the caller when given.
        for index in 0..<5 {
            #expect(try await store.begin(tenant: "t2", key: "batch-\(index)", fingerprint: Self.first) == .proceed)
        }
        let later = clock.now().addingTimeInterval(3 * 3600)
        #expect(try await store.purgeExpired(now: later, limit: 3) == 3)
        #expect(try await store.purgeExpired(now: later, limit: 3) == 3)
        #expect(try await store.purgeExpired(now: later, limit: 3) == 1)
        #expect(try await store.purgeExpired(now: later, limit: 3) == 0)
        #expect(try await Self.rowCount(database) == 0)
        await database.close()
    }

    @Test(arguments: BackendKind.allCases) func purgeLooksPastRowsThatCompletedLateAmongTheOldest(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let clock = TestClock()
        let (database, store) = try await Self.open(directory, clock: clock, ttl: .seconds(3600), lease: .seconds(60))
        let start = clock.now()
        for key in ["slow", "fast-1", "fast-2"] {
            #expect(try await store.begin(tenant: "t1", key: key, fingerprint: Self.first) == .proceed)
        }
        clock.advance(by: .seconds(1))
        try await store.complete(tenant: "t1", key: "fast-1", response: Self.response)
        try await store.complete(tenant: "t1", key: "fast-2", response: Self.response)
        // The oldest row completes after its lease ran out (nobody took it over): it is kept
        // for the TTL from then, and the purge deletes the rows behind it meanwhile.
        clock.advance(by: .seconds(120))
        #expect(try await store.complete(tenant: "t1", key: "slow", response: Self.response))
        clock.advance(to: start.addingTimeInterval(1 + 3600))
        #expect(try await store.purgeExpired(limit: 1) == 1)
        #expect(try await store.purgeExpired(limit: 1) == 1)
        #expect(try await store.purgeExpired(limit: 1) == 0)
        #expect(try await Self.keys(database) == ["slow"])
        clock.advance(to: start.addingTimeInterval(121 + 3600))
        #expect(try await store.purgeExpired(limit: 1) == 1)
        #expect(try await Self.rowCount(database) == 0)
        await database.close()
    }

    @Test(arguments: BackendKind.allCases) func aKeyHeldByACrashedProcessIsFreedWhenItsLeaseExpires(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let clock = TestClock()
        let crashed = try await Self.open(directory, clock: clock, owner: "process-a", lease: .seconds(60))
        #expect(try await crashed.store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .proceed)
        // The process dies without completing or abandoning: only the row in the file is left.
        await crashed.database.close()

        let laterClock = TestClock(now: clock.now().addingTimeInterval(59.999))
        let (database, store) = try await Self.open(directory, clock: laterClock, owner: "process-b", lease: .seconds(60))
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .conflict)
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.second) == .mismatch)
        // Another process cannot complete or abandon a lease it does not hold.
        #expect(try await !store.complete(tenant: "t1", key: "k1", response: Self.response))
        #expect(try await !store.abandon(tenant: "t1", key: "k1"))
        laterClock.advance(to: clock.now().addingTimeInterval(60))
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .proceed)
        #expect(try await store.complete(tenant: "t1", key: "k1", response: Self.response))
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .replay(Self.response))
        await database.close()
    }

    @Test(arguments: BackendKind.allCases) func abandonFreesTheKeyButNeverRemovesAStoredResponse(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let (database, store) = try await Self.open(directory, clock: TestClock())
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .proceed)
        #expect(try await !store.abandon(tenant: "t1", key: "k1", fingerprint: RequestFingerprint(Self.second)))
        #expect(try await store.abandon(tenant: "t1", key: "k1", fingerprint: RequestFingerprint(Self.first)))
        #expect(try await Self.rowCount(database) == 0)
        #expect(try await !store.abandon(tenant: "t1", key: "k1"))
        // The client fixes its request and retries with the same key.
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.second) == .proceed)
        #expect(try await store.complete(tenant: "t1", key: "k1", response: Self.response))
        #expect(try await !store.abandon(tenant: "t1", key: "k1"))
        #expect(try await !store.complete(tenant: "t1", key: "k1", response: StoredResponse(status: 500)))
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.second) == .replay(Self.response))
        await database.close()
    }

    @Test(arguments: BackendKind.allCases) func badInputIsRefusedWithATypedErrorAndWritesNothing(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let (database, store) = try await Self.open(directory, clock: TestClock())
        func code(_ body: () async throws -> Void) async -> IdempotencyError.Code? {
            do {
                try await body()
                return nil
            } catch let error as IdempotencyError {
                return error.code
            } catch {
                Issue.record("unexpected error \(error)")
                return nil
            }
        }
        let longest = String(repeating: "k", count: IdempotencyStore.maximumKeyLength)
        #expect(await code { _ = try await store.begin(tenant: "t1", key: "", fingerprint: Self.first) } == .invalidKey)
        #expect(await code { _ = try await store.begin(tenant: "t1", key: longest + "k", fingerprint: Self.first) } == .invalidKey)
        #expect(await code { _ = try await store.begin(tenant: "t1", key: String(repeating: "x", count: 1 << 20), fingerprint: Self.first) } == .invalidKey)
        #expect(await code { _ = try await store.begin(tenant: "", key: "k1", fingerprint: Self.first) } == .invalidTenant)
        #expect(await code { _ = try await store.begin(tenant: String(repeating: "t", count: 201), key: "k1", fingerprint: Self.first) } == .invalidTenant)
        #expect(await code { _ = try await store.begin(tenant: "t1", key: "k1", fingerprint: Data()) } == .invalidFingerprint)
        #expect(await code { _ = try await store.begin(tenant: "t1", key: "k1", fingerprint: Data(count: 65)) } == .invalidFingerprint)
        #expect(await code { _ = try await store.begin(tenant: "t1", key: "k1", fingerprint: "abc") } == .invalidFingerprint)
        #expect(await code { _ = try await store.begin(tenant: "t1", key: "k1", fingerprint: "zz") } == .invalidFingerprint)
        #expect(await code { _ = try await store.begin(tenant: "t1", key: "k1", fingerprint: "") } == .invalidFingerprint)
        #expect(try await Self.rowCount(database) == 0)

        // The limits themselves are accepted: the longest key, even when its characters take 4 bytes each.
        #expect(try await store.begin(tenant: "t1", key: longest, fingerprint: Self.first) == .proceed)
        let emoji = String(repeating: "🔑", count: IdempotencyStore.maximumKeyLength)
        #expect(try await store.begin(tenant: "t1", key: emoji, fingerprint: Self.first) == .proceed)
        #expect(await code { _ = try await store.begin(tenant: "t1", key: emoji + "🔑", fingerprint: Self.first) } == .invalidKey)
        if kind == .sqlite {
            #expect(try await store.begin(tenant: "t1", key: "with\0nul and ünïcödé", fingerprint: Self.first) == .proceed)
            #expect(try await store.begin(tenant: "t1", key: "with\0nul and ünïcödé", fingerprint: Self.first) == .conflict)
        } else {
            // PostgreSQL text cannot hold NUL: refused as the caller's input (the API's 400), nothing stored.
            await #expect { _ = try await store.begin(tenant: "t1", key: "with\0nul", fingerprint: Self.first) } throws: {
                ($0 as? StoreError)?.kind == .unstorableText
            }
        }
        #expect(try await store.begin(tenant: "t1", key: "ünïcödé", fingerprint: Self.first) == .proceed)

        // A response that could not be replayed as stored is refused, and the key stays in flight.
        for bad in [StoredResponse(status: 99), StoredResponse(status: 600),
                    StoredResponse(status: 200, headers: [("", "x")]),
                    StoredResponse(status: 200, headers: [("x-a:b", "x")]),
                    StoredResponse(status: 200, headers: [("x-a", "one\r\ntwo")]),
                    StoredResponse(status: 200, headers: [("x-a", String(repeating: "v", count: 70_000))]),
                    StoredResponse(status: 200, body: Data(count: IdempotencyStore.maximumBodyBytes + 1))] {
            #expect(await code { try await store.complete(tenant: "t1", key: longest, response: bad) } == .invalidResponse)
        }
        #expect(await code { try await store.complete(tenant: "t1", key: "", response: Self.response) } == .invalidKey)
        #expect(await code { try await store.abandon(tenant: "", key: "k1") } == .invalidTenant)
        #expect(try await store.begin(tenant: "t1", key: longest, fingerprint: Self.first) == .conflict)
        await database.close()
    }

    @Test(arguments: BackendKind.allCases) func aCompletedResponseSurvivesCloseAndReopen(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let clock = TestClock()
        do {
            let (database, store) = try await Self.open(directory, clock: clock)
            #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .proceed)
            #expect(try await store.complete(tenant: "t1", key: "k1", response: Self.response))
            await database.close()
        }
        clock.advance(by: .seconds(3600))
        let (database, store) = try await Self.open(directory, clock: clock, owner: "process-b")
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .replay(Self.response))
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.second) == .mismatch)
        await database.close()
    }

    @Test(arguments: BackendKind.allCases) func callsOnAClosedStoreFailInsteadOfWaiting(_ kind: BackendKind) async throws {
        let directory = try await kind.database()
        let (database, store) = try await Self.open(directory, clock: TestClock())
        #expect(try await store.begin(tenant: "t1", key: "k1", fingerprint: Self.first) == .proceed)
        await database.close()
        let failures = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask {
                    do {
                        _ = try await store.begin(tenant: "t1", key: "k\(index)", fingerprint: Self.first)
                        return false
                    } catch let error as StoreError {
                        return error.kind == .closed
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 20)
        await #expect(throws: StoreError.self) { try await store.complete(tenant: "t1", key: "k1", response: Self.response) }
    }

    @Test func fingerprintsParseHexAndRefuseAnythingElse() throws {
        let parsed = try RequestFingerprint(hex: "00ff10Ab")
        #expect(parsed.bytes == Data([0x00, 0xFF, 0x10, 0xAB]))
        #expect(parsed.hex == "00ff10ab")
        #expect(try RequestFingerprint(Data([0x00, 0xFF, 0x10, 0xAB])) == parsed)
        for bad in ["0", "0g", "é0", " 00", String(repeating: "0", count: 130)] {
            #expect(throws: IdempotencyError.self) { try RequestFingerprint(hex: bad) }
        }
    }

    @Test func headerLinesRoundTrip() {
        let headers: [(name: String, value: String)] = [("a", ""), ("B-c", " x: y "), ("ü", "ö"), ("a", "second")]
        let decoded = HeaderLines.decode(HeaderLines.encode(headers))
        #expect(decoded.map(\.name) == headers.map(\.name))
        #expect(decoded.map(\.value) == headers.map(\.value))
        #expect(HeaderLines.decode("").isEmpty)
        #expect(HeaderLines.problem(in: headers) == nil)
    }
}
