import AsyncHTTPClient
import Foundation
import Jobs
import NIOCore
import Runtime

/// The promises a load run checks afterwards, against the server's database (its SQLite file
/// opened read-only beside it, or the PostgreSQL database its instances share), its API and
/// the mock provider's record:
/// - every acknowledged job, batch and message exists and has reached a final state;
/// - every wallet equals its ledger and its held reservations, and none is below zero;
/// - every finished completion and batch item, priced again from its recorded usage with the
///   server's price table (`LoadPrices`), cost what it recorded, and each tenant was charged
///   exactly that re-priced usage plus its sent messages' price;
/// - idempotent resends (after a 2xx, or after a transport error, 5xx or 409) answered the
///   first answer, and no key made or charged two jobs or messages;
/// - no message was delivered twice by the provider, and every sent message was delivered;
/// - no job is left `running` without a live lease.
struct InvariantCheck {
    /// Where the server keeps its state.
    enum Database: Sendable {
        /// The SQLite file of a data directory, opened read-only.
        case sqlite(path: String)
        /// The PostgreSQL database the server's instances share (its schema is theirs).
        case postgres(PostgresURL)

        func open() async throws -> any Backend {
            switch self {
            case .sqlite(let path):
                let store = try await SQLiteStore.open(
                    StoreConfiguration(path: path, readOnly: true),
                    migrations: RuntimeSchema.migrations + WalletSchema.migrations + IdempotencySchema.migrations + JobCatalog.migrations)
                return SQLiteBackend(store: store)
            case .postgres(var url):
                url.sessions = min(url.sessions, 2)  // one check at a time
                return try await PostgresBackend.open(url, migrations: [])
            }
        }
    }

    let client: LoadClient
    let database: Database
    let internalKey: String?
    let mockURL: String?
    let settleTimeout: Duration
    /// The run's tenants: the books and what is in flight are checked for them only, so the
    /// check holds on a server that serves others too.
    let tenants: [String]
    /// The server's prices, to re-price finished work with.
    let prices: LoadPrices
    /// The providers' requests-per-minute limits, which the fleet together must have kept.
    var rates = FleetRateCheck(limits: [:])

    func run(_ work: LoadStats.Acknowledged, log: (String) -> Void) async -> [String] {
        var violations = work.violations + work.keyed.flatMap(\.violations)
        log("waiting for the server and for acknowledged work to finish (up to \(settleTimeout))…")
        let deadline = ContinuousClock.now + settleTimeout
        var unfinished: [String] = []
        var told = ContinuousClock.now
        var opened: (any Backend)?
        while true {
            await nudgeOutbox()
            do {
                let backend: any Backend
                if let opened { backend = opened } else { backend = try await database.open() }
                opened = backend
                unfinished = try await Self.unfinished(work, tenants: tenants, backend) + self.unreported(backend)
                if unfinished.isEmpty || ContinuousClock.now > deadline { break }
                // Work a killed server had leased waits for its lease (the relay's is 120 s): say what is awaited.
                if ContinuousClock.now - told >= .seconds(15) {
                    told = ContinuousClock.now
                    log("  still waiting: \(unfinished.prefix(3).joined(separator: "; "))\(unfinished.count > 3 ? " (+\(unfinished.count - 3))" : "")")
                }
            } catch {
                if ContinuousClock.now > deadline { violations.append("the database could not be read: \(error)"); break }
            }
            try? await Task.sleep(for: .seconds(1))
        }
        violations += unfinished
        guard let backend = opened else { return violations }
        do {
            violations += try await Self.databaseChecks(backend, tenants: tenants, prices: prices)
            violations += try await Self.keyChecks(work.keyed, tenants: tenants, backend)
        } catch {
            violations.append("the database checks failed: \(error)")
        }
        violations += await providerChecks(backend)
        violations += await rateChecks(log: log)
        await backend.close()
        return violations
    }

    /// Asks the server to drain the outbox now (it does so by itself too).
    private func nudgeOutbox() async {
        guard let internalKey else { return }
        var request = HTTPClientRequest(url: client.url + "/cpaas/v1/_internal/process-outbox")
        request.method = .POST
        request.headers.add(name: "x-internal-api-key", value: internalKey)
        _ = try? await client.http.execute(request, timeout: .seconds(30))
    }

    /// Acknowledged work that is missing (lost) or not final yet, described.
    static func unfinished(_ work: LoadStats.Acknowledged, tenants: [String], _ backend: any Backend) async throws -> [String] {
        let jobs = work.jobs.keys.compactMap { JobID($0) }
        let batches = Array(work.batches.keys), messages = Array(work.messages.keys)
        return try await backend.read { tx in
            var problems: [String] = []
            for id in jobs {
                guard let state = try tx.first("SELECT state FROM jobs WHERE id = \(id.rawValue)", { $0["state"] as String }) else {
                    problems.append("acknowledged job \(id) is lost"); continue
                }
                if JobState(rawValue: state)?.isTerminal != true { problems.append("acknowledged job \(id) is still \(state)") }
            }
            for id in batches {
                guard let status = try tx.first("SELECT status FROM inference_batches WHERE id = \(id)", { $0["status"] as String }) else {
                    problems.append("acknowledged batch \(id) is lost"); continue
                }
                if !["completed", "cancelled", "expired", "failed"].contains(status) { problems.append("acknowledged batch \(id) is still \(status)") }
            }
            for id in messages {
                guard let text = try tx.first("SELECT status FROM messages WHERE id = \(id)", { $0["status"] as String }) else {
                    problems.append("acknowledged message \(id) is lost"); continue
                }
                let status = MessageStatus(rawValue: text)
                if status?.isFinal != true && status != .sent { problems.append("acknowledged message \(id) is still \(text)") }
            }
            // Work nobody was answered for (the server died first) runs on too: the books are
            // checked only once nothing is in flight.
            let busy = try tx.first("""
                SELECT (SELECT count(*) FROM jobs WHERE state IN ('queued', 'scheduled', 'running') AND tenant IN (\(list: tenants))) AS jobs,
                       (SELECT count(*) FROM messages WHERE status IN ('queued', 'sending') AND tenant IN (\(list: tenants))) AS messages,
                       (SELECT count(*) FROM wallet_reservations r JOIN wallets w ON w.id = r.wallet_id
                        WHERE r.state = 'held' AND w.tenant IN (\(list: tenants))) AS holds
                """) { row in (jobs: row["jobs"] as Int, messages: row["messages"] as Int, holds: row["holds"] as Int) }
            if let busy, busy.jobs + busy.messages + busy.holds > 0 {
                problems.append("still in flight: \(busy.jobs) jobs, \(busy.messages) messages, \(busy.holds) held reservations")
            }
            return problems
        }
    }

    /// Messages of this run that the mock delivered and reported by status callback (it retries
    /// them for a minute, across restarts) but whose status is not the reported one: each ends as
    /// the provider said, `delivered` (or `undelivered`), or the report was lost.
    private func unreported(_ backend: any Backend) async throws -> [String] {
        let reported = Dictionary(try await mockDeliveries().compactMap { message -> (String, String)? in
            guard let key = message["dedupeKey"] as? String, let status = message["reported"] as? String else { return nil }
            return (key, status)
        }, uniquingKeysWith: { first, _ in first })
        guard !reported.isEmpty else { return [] }
        let tenants = tenants, ids = Array(reported.keys)
        let statuses = try await backend.read { tx in
            try tx.all("SELECT id, status FROM messages WHERE id IN (\(list: ids)) AND tenant IN (\(list: tenants))") {
                (id: $0["id"] as String, status: $0["status"] as String)
            }
        }
        let wrong = statuses.filter { reported[$0.id] != $0.status }
        guard let first = wrong.first else { return [] }
        return ["\(wrong.count) messages the provider reported are not in the reported status (e.g. \(first.id): \(first.status), reported \(reported[first.id] ?? "?"))"]
    }

    /// The client's Idempotency-Key of a stored one: the server keeps keys behind their caller's
    /// scope (`u:` + 32 hex digits + `:`, per user).
    static func clientKey(_ stored: String) -> String {
        let scope = stored.utf8.prefix(35)
        guard scope.count == 35, stored.hasPrefix("u:"), scope.last == UInt8(ascii: ":") else { return stored }
        return String(stored.dropFirst(35))
    }

    /// `GET /_mock/messages`: every delivery the mock made.
    private func mockDeliveries() async throws -> [[String: Any]] {
        guard let mockURL else { return [] }
        let response = try await client.http.execute(HTTPClientRequest(url: mockURL + "/_mock/messages"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 << 20)
        guard let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any],
              let delivered = json["messages"] as? [[String: Any]] else {
            throw CancellationError()  // not JSON: the callers say the record could not be read
        }
        return delivered
    }

    /// What a finished completion or batch item recorded (its result's JSON), read in Swift so
    /// the query is the same on every backend.
    private struct RecordedResult: Decodable {
        struct Usage: Decodable {
            var inputTokens: Int64?
            var outputTokens: Int64?
        }

        var model: String?
        var usage: Usage?
        var costMicroUSD: Int64?
    }

    /// The books: every wallet against its ledger, each tenant's charges against its re-priced
    /// usage and sent messages, no job running on a dead lease, no Idempotency-Key with two messages.
    static func databaseChecks(_ backend: any Backend, tenants: [String], prices: LoadPrices, now: Date = Date()) async throws -> [String] {
        var problems = try await Wallets(backend: backend, clock: SystemClock()).audit()
        // What each tenant was charged (settlements and charges on its wallets, net of refunds),
        // its finished completions and batch items as recorded, and its sent messages' prices.
        let (charged, finished, messagePrices) = try await backend.read { tx in
            var charged: [String: Int64] = [:], messagePrices: [String: Int64] = [:]
            try tx.forEach("""
                SELECT w.tenant, SUM(CASE l.kind WHEN 'refund' THEN -l.amount ELSE l.amount END) AS charged
                FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id
                WHERE l.kind IN ('settle', 'charge', 'refund') AND w.tenant IN (\(list: tenants)) GROUP BY w.tenant
                """) { row in charged[row["tenant"] as String] = row["charged"] as Int64 }
            let decoder = JSONDecoder()
            let finished = try tx.all("""
                SELECT id, tenant, result FROM jobs WHERE state = 'succeeded' AND kind IN ('inference.complete', 'inference.batch.item')
                AND tenant IN (\(list: tenants))
                """) { row in
                let recorded = (row["result"] as Data?).flatMap { try? decoder.decode(RecordedResult.self, from: $0) }
                return FinishedCompletion(
                    job: JobID(rawValue: row["id"]).description, tenant: row["tenant"], model: recorded?.model,
                    inputTokens: recorded?.usage?.inputTokens, outputTokens: recorded?.usage?.outputTokens,
                    recordedCostMicroUSD: recorded?.costMicroUSD)
            }
            try tx.forEach("""
                SELECT tenant, SUM(price) AS price FROM messages WHERE status IN ('sent', 'delivered')
                AND tenant IN (\(list: tenants)) GROUP BY tenant
                """) { row in messagePrices[row["tenant"] as String] = row["price"] as Int64 }
            return (charged, finished, messagePrices)
        }
        let repriced = Repricing(finished, prices: prices)
        problems += repriced.violations
        for tenant in Set(charged.keys).union(repriced.usageByTenant.keys).union(messagePrices.keys).sorted() {
            let usage = repriced.usageByTenant[tenant, default: 0] + messagePrices[tenant, default: 0]
            if charged[tenant, default: 0] != usage {
                problems.append("tenant \(tenant) was charged \(MicroUSD(charged[tenant, default: 0])) USD for usage of \(MicroUSD(usage)) USD "
                                + "(completions and batch items re-priced from their usage, plus messages sent)")
            }
        }
        let leaseCutoff = now.millisecondsSince1970 - 45_000  // leases are recovered every 15 s
        problems += try await backend.read { tx in
            var found: [String] = []
            let stuck = try tx.first("SELECT count(*) AS n FROM jobs WHERE state = 'running' AND lease_expires_at < \(leaseCutoff)") {
                $0["n"] as Int
            } ?? 0
            if stuck > 0 { found.append("\(stuck) jobs are running without a live lease") }
            let duplicateKeys = try tx.first("""
                SELECT count(*) AS n FROM (SELECT 1 AS one FROM messages WHERE idempotency_key IS NOT NULL
                                           GROUP BY tenant, idempotency_key HAVING count(*) > 1) AS duplicated
                """) { $0["n"] as Int } ?? 0
            if duplicateKeys > 0 { found.append("\(duplicateKeys) Idempotency-Keys made more than one message") }
            return found
        }
        return problems
    }

    /// The first message's text of a completion's payload.
    private struct CompletionPayload: Decodable {
        struct Message: Decodable {
            var content: String?
        }

        var messages: [Message]?
    }

    /// Keyed requests against what the database holds: a key made at most one charged
    /// completion (its prompt is unique per key) and at most one message (by key, and by its
    /// body, unique per key), and that one is the one the server answered with.
    static func keyChecks(_ keyed: [KeyedRequest], tenants: [String], _ backend: any Backend) async throws -> [String] {
        guard !keyed.isEmpty else { return [] }
        struct Made: Hashable, Sendable {
            var tenant: String
            var marker: String
        }
        let (completions, messagesByBody, messagesByKey) = try await backend.read { tx in
            var completions: [Made: [String]] = [:], messagesByBody: [Made: [String]] = [:], messagesByKey: [Made: [String]] = [:]
            // Succeeded only: a try answered with a failure changed nothing and is not stored, so a
            // resend runs again; what must not happen is two charged completions for one key. The
            // text search only narrows; the first message's content is read from the JSON here.
            let decoder = JSONDecoder()
            try tx.forEach("""
                SELECT tenant, payload, id FROM jobs
                WHERE kind = 'inference.complete' AND state = 'succeeded' AND tenant IN (\(list: tenants)) AND payload LIKE '%load keyed %'
                """) { row in
                guard let payload = try? decoder.decode(CompletionPayload.self, from: row["payload"] as Data),
                      let content = payload.messages?.first?.content, content.hasPrefix("load keyed ") else { return }
                completions[Made(tenant: row["tenant"], marker: content), default: []].append(JobID(rawValue: row["id"]).description)
            }
            try tx.forEach("""
                SELECT tenant, body, idempotency_key, id FROM messages WHERE tenant IN (\(list: tenants))
                AND (idempotency_key IS NOT NULL OR body LIKE 'load keyed %' OR body LIKE 'retry load-%')
                """) { row in
                let tenant = row["tenant"] as String, id = row["id"] as String
                if let body = row["body"] as String? { messagesByBody[Made(tenant: tenant, marker: body), default: []].append(id) }
                if let key = row["idempotency_key"] as String? {
                    messagesByKey[Made(tenant: tenant, marker: Self.clientKey(key)), default: []].append(id)
                }
            }
            return (completions, messagesByBody, messagesByKey)
        }
        var problems: [String] = []
        for request in keyed {
            let made: [String]
            switch request.kind {
            case .completion:
                made = completions[Made(tenant: request.tenant, marker: request.marker)] ?? []
                if made.count > 1 {
                    problems.append("key \(request.key) made \(made.count) charged completions: \(made.sorted().joined(separator: ", "))")
                }
            case .message:
                made = messagesByBody[Made(tenant: request.tenant, marker: request.marker)] ?? []
                let byKey = messagesByKey[Made(tenant: request.tenant, marker: request.key)] ?? []
                if made.count > 1 { problems.append("key \(request.key) made \(made.count) messages: \(made.sorted().joined(separator: ", "))") }
                if byKey != made { problems.append("key \(request.key) holds messages \(byKey) but its body made \(made)") }
            }
            if let answered = request.answeredID, let other = made.first(where: { $0 != answered }) {
                problems.append("key \(request.key) was answered with \(request.kind.rawValue) \(answered), but \(other) was made for it")
            }
        }
        return problems
    }

    /// The mock's completion calls to each limited model kept its requests-per-minute limit
    /// across every instance (`FleetRateCheck`).
    private func rateChecks(log: (String) -> Void) async -> [String] {
        guard let mockURL, !rates.isEmpty else { return [] }
        guard let times = try? await FleetRateCheck.callTimes(client.http, mockURL: mockURL) else {
            return ["the mock provider's call times could not be read"]
        }
        for (model, limit) in rates.limits.sorted(by: { $0.key < $1.key }) {
            let calls = times[model] ?? []
            log("rate limit: \(calls.count) calls to \(model) (limit \(limit)/min), busiest minute \(FleetRateCheck.busiestMinute(calls))")
        }
        return rates.violations(times, instances: client.instances.urls.count)
    }

    /// The mock provider's deliveries: none twice (by dedupe key, and by recipient and text, which
    /// the load makes unique per message), none without a dedupe key, and every message the
    /// database says was sent among them. The database is read first: what it calls sent, the
    /// provider has by then.
    private func providerChecks(_ backend: any Backend) async -> [String] {
        guard mockURL != nil else { return [] }
        let sent: [String]
        do {
            sent = try await backend.read { tx in
                try tx.all("SELECT id FROM messages WHERE status IN ('sent', 'delivered') AND provider != 'simulated'") { $0["id"] as String }
            }
        } catch {
            return ["the database could not be read for the provider check: \(error)"]
        }
        guard let delivered = try? await mockDeliveries() else { return ["the mock provider's record could not be read"] }
        var byKey: [String: Int] = [:], byContent: [String: Int] = [:]
        var keyless = 0
        for message in delivered {
            if let key = message["dedupeKey"] as? String { byKey[key, default: 0] += 1 } else { keyless += 1 }
            byContent["\(message["to"] as? String ?? "")|\(message["body"] as? String ?? "")", default: 0] += 1
        }
        var problems = byKey.filter { $0.value > 1 }.map { "message \($0.key) was delivered \($0.value) times" }
        problems += byContent.filter { $0.value > 1 }.prefix(10).map { "the same text to the same recipient was delivered \($0.value) times: \($0.key)" }
        if keyless > 0 { problems.append("\(keyless) messages reached the provider without a dedupe reference") }
        let missing = sent.filter { byKey[$0] == nil }
        if !missing.isEmpty { problems.append("\(missing.count) messages recorded sent are unknown to the provider (e.g. \(missing[0]))") }
        return problems
    }
}
