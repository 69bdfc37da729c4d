import Foundation
import Testing
@testable import Runtime

@Suite("Idempotency marks: per-request lease, freed when their process is gone")
struct IdempotencyLeaseTests {
    private static let fingerprint = try! RequestFingerprint(Data(repeating: 0xC3, count: 32))

    private static func store(_ database: SQLiteStore, clock: TestClock, owner: String) -> IdempotencyStore {
        IdempotencyStore(backend: SQLiteBackend(store: database), clock: clock, configuration: IdempotencyConfiguration(leaseDuration: .seconds(60), owner: owner))
    }

    @Test("a mark begun with a longer lease holds its key past the configured lease, then frees it")
    func leasePerRequest() async throws {
        let directory = TemporaryDirectory()
        let database = try await SQLiteStore.open(StoreConfiguration(path: directory.databasePath), migrations: IdempotencySchema.migrations)
        let clock = TestClock()
        let store = Self.store(database, clock: clock, owner: "a")
        #expect(try await store.begin(tenant: "t", key: "slow", fingerprint: Self.fingerprint, lease: .seconds(400)) == .proceed)
        #expect(try await store.begin(tenant: "t", key: "fast", fingerprint: Self.fingerprint) == .proceed)
        clock.advance(by: .seconds(61))
        #expect(try await store.begin(tenant: "t", key: "slow", fingerprint: Self.fingerprint) == .conflict)
        #expect(try await store.begin(tenant: "t", key: "fast", fingerprint: Self.fingerprint) == .proceed)
        clock.advance(by: .seconds(340))
        #expect(try await store.begin(tenant: "t", key: "slow", fingerprint: Self.fingerprint) == .proceed)
        await database.close()
    }

    @Test("start-up frees the marks of this host's dead processes and keeps those of live ones and other hosts")
    func deadOwnersFreed() async throws {
        let directory = TemporaryDirectory()
        let database = try await SQLiteStore.open(StoreConfiguration(path: directory.databasePath), migrations: IdempotencySchema.migrations)
        let clock = TestClock()
        let host = ProcessInfo.processInfo.hostName
        // A pid that no process has (above Linux's pid_max), this process's own pid under another
        // name (a restart that got the same pid), the parent (alive) and another host.
        let owners = ["dead": "\(host):99999999:1", "samePid": "\(host):\(getpid()):7", "alive": "\(host):\(getppid()):2",
                      "remote": "other-host.example:1:3"]
        for (key, owner) in owners {
            #expect(try await Self.store(database, clock: clock, owner: owner).begin(tenant: "t", key: key, fingerprint: Self.fingerprint) == .proceed)
        }
        let restarted = Self.store(database, clock: clock, owner: "\(host):\(getpid()):8")
        #expect(try await restarted.releaseMarksOfDeadProcesses() == 2)
        #expect(try await restarted.begin(tenant: "t", key: "dead", fingerprint: Self.fingerprint) == .proceed)
        #expect(try await restarted.begin(tenant: "t", key: "samePid", fingerprint: Self.fingerprint) == .proceed)
        #expect(try await restarted.begin(tenant: "t", key: "alive", fingerprint: Self.fingerprint) == .conflict)
        #expect(try await restarted.begin(tenant: "t", key: "remote", fingerprint: Self.fingerprint) == .conflict)
        #expect(try await restarted.releaseMarksOfDeadProcesses() == 0)  // its own marks stay
        await database.close()
    }
}
