import Foundation
@testable import HTTPFront
@testable import Jobs
import PostgresTestSupport
import Runtime
import Testing

/// The dashboard's cross-tenant reads and its live sampler, on each backend.
@Suite("Dashboard queries on each backend")
struct DashboardQueriesTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A backend with the runtime's, the batches' and the messaging tables the dashboard reads.
    final class Database: Sendable {
        let backend: any Backend
        let directory: TemporaryDirectory?

        init(_ kind: Kind) async throws {
            switch kind {
            case .sqlite:
                let directory = TemporaryDirectory()
                let store = try await SQLiteStore.open(
                    StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: directory.path)),
                    migrations: RuntimeSchema.migrations + WalletSchema.migrations + IdempotencySchema.migrations + JobCatalog.migrations)
                backend = SQLiteBackend(store: store)
                self.directory = directory
            case .postgres:
                let url = try await TestPostgres.shared.freshDatabase()
                let messaging = MessagingSchema.postgres.isEmpty ? [Self.messagingStandIn] : MessagingSchema.postgres
                backend = try await PostgresBackend.open(url, migrations: PostgresSchema.migrations + BatchSchema.postgres + messaging)
                directory = nil
            }
        }

        /// The messaging columns the dashboard reads, while `MessagingSchema.postgres` is empty.
        static let messagingStandIn = Migration(version: 200, name: "messaging (test stand-in)", sql: """
            CREATE TABLE messages (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, channel TEXT NOT NULL,
                recipient TEXT NOT NULL, sender TEXT NOT NULL, body TEXT, provider TEXT NOT NULL, status TEXT NOT NULL,
                segments BIGINT NOT NULL, price BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
            );
            CREATE TABLE message_events (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_seq BIGINT NOT NULL, status TEXT NOT NULL, detail TEXT,
                at BIGINT NOT NULL
            );
            CREATE TABLE outbox (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_seq BIGINT NOT NULL);
            """)
    }

    static func addMessage(_ id: String, tenant: String, status: String, _ backend: any Backend) async throws {
        try await backend.write { tx in
            _ = try tx.run("""
                INSERT INTO messages (id, tenant, channel, recipient, sender, body, provider, status, segments, price, created_at, updated_at)
                VALUES (\(id), \(tenant), 'sms', '+15550100', '+15550199', 'hello', 'simulated', \(status), 1, 10, 1000, 1000)
                """)
        }
    }

    @Test("lists page newest first, filtered by tenant and status; depth counts each state", arguments: Kind.allCases)
    func lists(_ kind: Kind) async throws {
        let database = try await Database(kind)
        let backend = database.backend, queries = DashboardQueries(backend: backend)
        let store = BatchStore(backend: backend)
        for (id, tenant) in [("batch_1", "acme"), ("batch_2", "other"), ("batch_3", "acme")] {
            try await store.insert(InferenceBatch(id: id, sequence: 0, tenant: tenant, status: .validating, wallet: "team", holdMicroUSD: 1,
                                                  holdID: nil, counts: .init(total: 1), costMicroUSD: 0, error: nil, createdAt: Date(),
                                                  expiresAt: Date().addingTimeInterval(60)))
        }
        #expect(try await queries.batches(tenant: nil, before: nil, limit: 2).map(\.id) == ["batch_3", "batch_2"])
        let acme = try await queries.batches(tenant: "acme", before: nil, limit: 10)
        #expect(acme.map(\.id) == ["batch_3", "batch_1"])
        #expect(try await queries.batches(tenant: "acme", before: acme[0].sequence, limit: 10).map(\.id) == ["batch_1"])

        for (id, tenant, status) in [("msg_1", "acme", "sent"), ("msg_2", "acme", "failed"), ("msg_3", "other", "sent")] {
            try await Self.addMessage(id, tenant: tenant, status: status, backend)
        }
        #expect(try await queries.messages(tenant: nil, status: nil, before: nil, limit: 10).map(\.id) == ["msg_3", "msg_2", "msg_1"])
        #expect(try await queries.messages(tenant: nil, status: "sent", before: nil, limit: 10).map(\.id) == ["msg_3", "msg_1"])
        #expect(try await queries.messages(tenant: "acme", status: "sent", before: nil, limit: 10).map(\.id) == ["msg_1"])
        #expect(try await queries.messages(tenant: "acme", status: nil, before: nil, limit: 1).map(\.id) == ["msg_2"])

        let wallets = Wallets(backend: backend, clock: SystemClock())
        _ = try await wallets.credit(MicroUSD(usd: 3), to: .team("acme"))
        _ = try await wallets.credit(MicroUSD(usd: 1), to: .team("other"))
        let rows = try await queries.wallets(tenant: nil, before: nil, limit: 10)
        #expect(rows.map(\.tenant) == ["other", "acme"] && rows.map(\.balance) == [1_000_000, 3_000_000])
        #expect(try await queries.wallets(tenant: "acme", before: nil, limit: 10).map(\.owner) == ["team"])

        _ = try await backend.jobs.enqueue([NewJob(kind: "noop", tenant: "acme", payload: Data("{}".utf8))],
                                           defaultMaxAttempts: { _ in 1 }, now: Date())
        let depth = try await queries.depth()
        #expect(depth["queued"] == 1 && depth["running"] == 0 && depth["dead"] == 0)
        #expect(try await queries.outboxDepth() == 0)
        await backend.close()
    }

    @Test("the sampler reads queue depth, new spend and sent messages since its last point", arguments: Kind.allCases)
    func sampler(_ kind: Kind) async throws {
        let database = try await Database(kind)
        let backend = database.backend, activity = DashboardActivity()
        let wallets = Wallets(backend: backend, clock: SystemClock())
        let team = WalletKey.team("acme")
        _ = try await wallets.credit(MicroUSD(usd: 5), to: team)
        let spent = try await wallets.reserve(MicroUSD(40_000), on: team, reference: "first")
        _ = try await wallets.settle(spent, actualCost: MicroUSD(30_000))
        let now = Date()
        try await activity.tick(backend, now: now)
        let walletID = try #require(try await wallets.balance(of: team)).id
        #expect(activity.spend(wallet: walletID).map(\.microUSD) == [30_000], "the first point backfills the wallet's history")
        #expect(activity.points.last?.spendPerMinuteUSD == 0, "the backfill is not this second's spend")

        let more = try await wallets.reserve(MicroUSD(40_000), on: team, reference: "second")
        _ = try await wallets.settle(more, actualCost: MicroUSD(20_000))
        try await Self.addMessage("msg_s", tenant: "acme", status: "sent", backend)
        try await backend.write { tx in
            _ = try tx.run("INSERT INTO message_events (message_seq, status, at) SELECT seq, 'sent', 0 FROM messages WHERE id = 'msg_s'")
        }
        try await activity.tick(backend, now: now.addingTimeInterval(1))
        let point = try #require(activity.points.last)
        #expect(abs(point.spendPerMinuteUSD - 0.02 * 60) < 1e-9, "20,000 µUSD in one second")
        #expect(point.messagesPerSecond == 1)
        #expect(point.depth == ["queued": 0, "scheduled": 0, "running": 0])
        #expect(activity.spend(wallet: walletID).map(\.microUSD).reduce(0, +) == 50_000)
        await backend.close()
    }
}
