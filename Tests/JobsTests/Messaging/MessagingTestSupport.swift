import Foundation
@testable import Jobs
import PostgresTestSupport
import Runtime
import Synchronization
import Testing

/// A provider whose answers a test scripts per recipient, and that records every send call in
/// order (without any dedupe of its own, so a second send of a message shows).
final class ScriptedMessagingProvider: MessagingProvider {
    let id: String
    let channels: Set<Channel> = Set(Channel.allCases)
    private let state = Mutex(State())

    struct State {
        var scripts: [String: [Result<Void, MessagingError>]] = [:]
        var calls: [OutgoingMessage] = []
        var templatePages: [Result<TemplatePage, MessagingError>] = []
    }

    init(id: String = "scripted") {
        self.id = id
    }

    /// The next sends to `to` answer these, in order; then every send succeeds.
    func script(_ to: String, _ results: [Result<Void, MessagingError>]) {
        state.withLock { $0.scripts[to, default: []] += results }
    }

    /// `templates(page:)` answers these pages in order (page cursors are their indexes).
    func setTemplatePages(_ pages: [Result<TemplatePage, MessagingError>]) {
        state.withLock { $0.templatePages = pages }
    }

    var calls: [OutgoingMessage] { state.withLock { $0.calls } }

    func send(_ message: OutgoingMessage) async throws(MessagingError) -> SendReceipt {
        let result: Result<Void, MessagingError> = state.withLock { state in
            state.calls.append(message)
            guard var script = state.scripts[message.to], !script.isEmpty else { return .success(()) }
            let next = script.removeFirst()
            state.scripts[message.to] = script
            return next
        }
        if case .failure(let error) = result { throw error }
        return SendReceipt(providerMessageID: "P-" + message.id, providerStatus: "sent")
    }

    func templates(page: String?) async throws(MessagingError) -> TemplatePage {
        let index = page.flatMap(Int.init) ?? 0
        let answer: Result<TemplatePage, MessagingError>? = state.withLock { $0.templatePages.indices.contains(index) ? $0.templatePages[index] : nil }
        guard let answer else { return TemplatePage(templates: [], next: nil) }
        return try answer.get()
    }
}

/// The backends the messaging and webhook store tests run on: each such test takes one as its
/// argument, so every rule is checked on SQLite and on PostgreSQL alike.
enum BackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }
}

/// A store with the runtime's, the wallets' and the messaging tables, wallets and a hub over
/// one scripted provider, on a test clock; on SQLite (a temporary file) or PostgreSQL (a fresh
/// database on the test cluster).
struct MessagingHarness {
    let kind: BackendKind
    let directory: String?
    /// The PostgreSQL database, which another instance may open too (`secondInstance`).
    let url: PostgresURL?
    let backend: any Backend
    let wallets: Wallets
    let clock: TestClock
    let provider: ScriptedMessagingProvider
    let hub: MessagingHub

    /// The PostgreSQL tables the harness opens: the runtime's, messaging's and webhooks'.
    static let postgresMigrations = PostgresSchema.migrations + MessagingSchema.postgres + WebhookSchema.postgres

    static func open(_ kind: BackendKind = .sqlite, configuration: MessagingConfiguration? = nil) async throws -> MessagingHarness {
        let backend: any Backend, directory: String?, url: PostgresURL?
        switch kind {
        case .sqlite:
            let path = NSTemporaryDirectory() + "switchboard-messaging-test-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let database = try await SQLiteStore.open(
                StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: path)),
                migrations: RuntimeSchema.migrations + WalletSchema.migrations + JobCatalog.migrations)
            (backend, directory, url) = (SQLiteBackend(store: database), path, nil)
        case .postgres:
            let fresh = try await TestPostgres.shared.freshDatabase()
            (backend, directory, url) = (try await PostgresBackend.open(fresh, migrations: postgresMigrations), nil, fresh)
        }
        let clock = TestClock(now: Date(timeIntervalSince1970: 1_800_000_000))
        let provider = ScriptedMessagingProvider()
        var settings = configuration ?? .development
        settings.routes = [.sms: provider.id, .email: provider.id, .whatsapp: provider.id]
        let hub = MessagingHub(configuration: settings, providers: [provider], clock: clock)
        return MessagingHarness(kind: kind, directory: directory, url: url, backend: backend, wallets: Wallets(backend: backend, clock: clock),
                                clock: clock, provider: provider, hub: hub)
    }

    /// Another instance's view of the same database: a backend of its own on PostgreSQL (its
    /// own sessions, as another process would have), the same backend on SQLite (one file, one writer).
    func secondInstance() async throws -> any Backend {
        guard let url else { return backend }
        return try await PostgresBackend.open(url, migrations: Self.postgresMigrations)
    }

    var messages: Messages { Messages(hub: hub, backend: backend, wallets: wallets) }

    func relay(_ owner: String) -> OutboxRelay { OutboxRelay(hub: hub, backend: backend, wallets: wallets, owner: owner) }

    func fund(_ tenant: String, usd: Int64 = 10) async throws {
        _ = try await wallets.credit(MicroUSD(usd: usd), to: .team(tenant))
    }

    func close() async {
        await backend.close()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}
