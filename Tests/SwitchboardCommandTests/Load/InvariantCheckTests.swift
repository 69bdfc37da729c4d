import Foundation
@testable import Jobs
import PostgresTestSupport
import Runtime
@testable import switchboard
import Testing

/// The invariant check's database half, on each backend the server runs on: the check opens the
/// database as `load` does (`InvariantCheck.Database`: the SQLite file read-only, or the
/// PostgreSQL URL with the schema the servers made) and reads it only through the seam.
@Suite("load: invariant check on each backend")
struct InvariantCheckTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A server's database with its schema, written through `writer`; `checked` is how the check finds it.
    struct ServerDatabase {
        let writer: any Backend
        let checked: InvariantCheck.Database
        let directory: String?

        static func make(_ kind: Kind) async throws -> ServerDatabase {
            switch kind {
            case .sqlite:
                let directory = NSTemporaryDirectory() + "switchboard-invariants-\(UUID().uuidString)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let path = RuntimeConfiguration.databasePath(inDataDirectory: directory)
                let store = try await SQLiteStore.open(
                    StoreConfiguration(path: path),
                    migrations: RuntimeSchema.migrations + WalletSchema.migrations + IdempotencySchema.migrations + JobCatalog.migrations)
                return ServerDatabase(writer: SQLiteBackend(store: store), checked: .sqlite(path: path), directory: directory)
            case .postgres:
                let url = try await TestPostgres.shared.freshDatabase()
                let migrations = PostgresSchema.migrations + BatchSchema.postgres
                    + (MessagingSchema.postgres.isEmpty ? [messagesStandIn] : MessagingSchema.postgres)
                return ServerDatabase(writer: try await PostgresBackend.open(url, migrations: migrations), checked: .postgres(url), directory: nil)
            }
        }

        func close() async {
            await writer.close()
            if let directory { try? FileManager.default.removeItem(atPath: directory) }
        }
    }

    /// The columns of `messages` the check reads, while `MessagingSchema.postgres` is empty.
    static let messagesStandIn = Migration(version: 200, name: "messages (test stand-in)", sql: """
        CREATE TABLE messages (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, body TEXT,
            provider TEXT NOT NULL, status TEXT NOT NULL, price BIGINT NOT NULL, idempotency_key TEXT
        );
        """)

    static let prices = LoadPrices(models: [:])

    @Test("a sound database passes; a ledger line the wallet never saw is reported", arguments: Kind.allCases)
    func ledger(_ kind: Kind) async throws {
        let server = try await ServerDatabase.make(kind)
        let wallets = Wallets(backend: server.writer, clock: SystemClock())
        _ = try await wallets.credit(MicroUSD(usd: 2), to: .team("acme"))
        _ = try await wallets.credit(MicroUSD(usd: 1), to: .team("other"))
        let hold = try await wallets.reserve(MicroUSD(500), on: .team("acme"), reference: "load-test")
        _ = try await wallets.release(hold)
        let store = BatchStore(backend: server.writer)
        try await store.insert(BatchStoreFixture.batch("batch_done"))
        try await server.writer.write { tx in try BatchStore.markInProgress("batch_done", holdID: hold.id, idempotencyKey: nil, tx) }
        try await server.writer.write { tx in _ = try tx.run("UPDATE inference_batches SET status = 'completed' WHERE id = 'batch_done'") }

        let backend = try await server.checked.open()
        #expect(try await InvariantCheck.databaseChecks(backend, tenants: ["acme", "other"], prices: Self.prices) == [])
        var work = LoadStats.Acknowledged()
        work.batches = ["batch_done": "acme"]
        #expect(try await InvariantCheck.unfinished(work, tenants: ["acme"], backend) == [])
        work.batches["batch_lost"] = "acme"
        #expect(try await InvariantCheck.unfinished(work, tenants: ["acme"], backend) == ["acknowledged batch batch_lost is lost"])

        // A charge written to acme's ledger that its wallet row never took.
        try await server.writer.write { tx in
            _ = try tx.run("""
                INSERT INTO wallet_ledger (wallet_id, kind, amount, balance_delta, reserved_delta, reference, created_at)
                SELECT id, 'charge', 300, -300, 0, 'job:forged', 0 FROM wallets WHERE tenant = 'acme' AND owner = 'team'
                """)
        }
        let problems = try await InvariantCheck.databaseChecks(backend, tenants: ["acme", "other"], prices: Self.prices)
        #expect(problems.contains { $0.contains("(acme/team): balance 2000000 but its ledger sums to 1999700") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("tenant acme was charged 0.0003 USD for usage of 0") }, "\(problems)")
        #expect(problems.count == 2, "the other tenant's books are sound: \(problems)")
        await backend.close()
        await server.close()
    }

    @Test("load --database names a PostgreSQL database to check; without it the data directory's SQLite file is")
    func databaseOption() throws {
        #expect(throws: (any Error).self) { try LoadCommand.parse(["--database", "./data/switchboard.sqlite"]).validate() }
        let postgres = try LoadCommand.parse(["--database", "postgres://load@127.0.0.1:5433/shared"])
        try postgres.validate()
        guard case .postgres(let url) = try postgres.checkedDatabase else { Issue.record("not PostgreSQL"); return }
        #expect(url.host == "127.0.0.1" && url.port == 5433 && url.database == "shared" && url.username == "load")
        guard case .sqlite(let path) = try LoadCommand.parse(["--data-dir", "/tmp/d"]).checkedDatabase else { Issue.record("not SQLite"); return }
        #expect(path == RuntimeConfiguration.databasePath(inDataDirectory: "/tmp/d"))
    }

    @Test("a job running on a long-dead lease and work still in flight are reported", arguments: Kind.allCases)
    func jobs(_ kind: Kind) async throws {
        let server = try await ServerDatabase.make(kind)
        let now = Date()
        try await server.writer.write { tx in
            for (id, state, lease) in [(Int64(1_001), "running", now.millisecondsSince1970 - 60_000), (1_002, "succeeded", Int64?.none)] as [(Int64, String, Int64?)] {
                _ = try tx.run("""
                    INSERT INTO jobs (id, tenant, kind, payload, run_at, max_attempts, state, lease_owner, lease_expires_at, created_at, updated_at)
                    VALUES (\(id), 'acme', 'noop', '{}', 0, 1, \(state), 'gone', \(lease), 0, 0)
                    """)
            }
        }
        let backend = try await server.checked.open()
        let problems = try await InvariantCheck.databaseChecks(backend, tenants: ["acme"], prices: Self.prices, now: now)
        #expect(problems == ["1 jobs are running without a live lease"])
        var work = LoadStats.Acknowledged()
        work.jobs = [JobID(rawValue: 1_001).description: "acme", JobID(rawValue: 1_002).description: "acme"]
        let unfinished = try await InvariantCheck.unfinished(work, tenants: ["acme"], backend)
        #expect(unfinished == ["acknowledged job \(JobID(rawValue: 1_001)) is still running", "still in flight: 1 jobs, 0 messages, 0 held reservations"])
        await backend.close()
        await server.close()
    }
}

/// Batches as the check finds them.
enum BatchStoreFixture {
    static func batch(_ id: String) -> InferenceBatch {
        InferenceBatch(id: id, sequence: 0, tenant: "acme", status: .validating, wallet: "team", holdMicroUSD: 500, holdID: nil,
                       counts: .init(total: 1), costMicroUSD: 0, error: nil, createdAt: Date(), expiresAt: Date().addingTimeInterval(3_600))
    }
}
