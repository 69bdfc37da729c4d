import AsyncHTTPClient
import Foundation
import Jobs
import NIOCore
import Runtime

/// The promises a load run checks afterwards, against the server's database (opened
/// read-only beside it), its API and the mock provider's record:
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
    let client: LoadClient
    let databasePath: String
    let internalKey: String?
    let mockURL: String?
    let settleTimeout: Duration
    /// The run's tenants: the books and what is in flight are checked for them only, so the
    /// check holds on a server that serves others too.
    let tenants: [String]
    /// The server's prices, to re-price finished work with.
    let prices: LoadPrices

    private var tenantList: String { String(decoding: (try? JSONEncoder().encode(tenants)) ?? Data("[]".utf8), as: UTF8.self) }

    func run(_ work: LoadStats.Acknowledged, log: (String) -> Void) async -> [String] {
        var violations = work.violations + work.keyed.flatMap(\.violations)
        log("waiting for the server and for acknowledged work to finish (up to \(settleTimeout))…")
        let deadline = ContinuousClock.now + settleTimeout
        var unfinished: [String] = []
        var told = ContinuousClock.now
        while true {
            await nudgeOutbox()
            do {
                unfinished = try await self.unfinished(work) + self.unreported()
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
        do {
            violations += try await databaseChecks()
            violations += try await keyChecks(work.keyed)
        } catch {
            violations.append("the database checks failed: \(error)")
        }
        violations += await providerChecks()
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

    private func open() async throws -> SQLiteStore {
        try await SQLiteStore.open(StoreConfiguration(path: databasePath, readOnly: true),
                                   migrations: RuntimeSchema.migrations + WalletSchema.migrations + IdempotencySchema.migrations
                                       + JobCatalog.migrations)
    }

    /// Acknowledged work that is missing (lost) or not final yet, described.
    private func unfinished(_ work: LoadStats.Acknowledged) async throws -> [String] {
        let database = try await open()
        defer { Task { await database.close() } }
        let jobs = work.jobs.keys.compactMap { JobID($0) }
        let batches = Array(work.batches.keys), messages = Array(work.messages.keys), tenantList = tenantList
        return try await database.read { db in
            var problems: [String] = []
            let job = try db.statement("SELECT state FROM jobs WHERE id = ?")
            for id in jobs {
                job.reset()
                job.bind(1, id.rawValue)
                guard try job.step() else { problems.append("acknowledged job \(id) is lost"); continue }
                let state = JobState(rawValue: job.string(0) ?? "")
                if state?.isTerminal != true { problems.append("acknowledged job \(id) is still \(job.string(0) ?? "?")") }
            }
            let batch = try db.statement("SELECT status FROM inference_batches WHERE id = ?")
            for id in batches {
                batch.reset()
                batch.bind(1, id)
                guard try batch.step() else { problems.append("acknowledged batch \(id) is lost"); continue }
                let status = batch.string(0) ?? ""
                if !["completed", "cancelled", "expired", "failed"].contains(status) { problems.append("acknowledged batch \(id) is still \(status)") }
            }
            let message = try db.statement("SELECT status FROM messages WHERE id = ?")
            for id in messages {
                message.reset()
                message.bind(1, id)
                guard try message.step() else { problems.append("acknowledged message \(id) is lost"); continue }
                let status = MessageStatus(rawValue: message.string(0) ?? "")
                if status?.isFinal != true && status != .sent { problems.append("acknowledged message \(id) is still \(message.string(0) ?? "?")") }
            }
            // Work nobody was answered for (the server died first) runs on too: the books are
            // checked only once nothing is in flight.
            let busy = try db.statement("""
                WITH run AS (SELECT value AS tenant FROM json_each(?1))
                SELECT (SELECT count(*) FROM jobs WHERE state IN ('queued', 'scheduled', 'running') AND tenant IN (SELECT tenant FROM run)),
                       (SELECT count(*) FROM messages WHERE status IN ('queued', 'sending') AND tenant IN (SELECT tenant FROM run)),
                       (SELECT count(*) FROM wallet_reservations r JOIN wallets w ON w.id = r.wallet_id
                        WHERE r.state = 'held' AND w.tenant IN (SELECT tenant FROM run))
                """)
            busy.bind(1, tenantList)
            if try busy.step(), busy.int(0) + busy.int(1) + busy.int(2) > 0 {
                problems.append("still in flight: \(busy.int(0)) jobs, \(busy.int(1)) messages, \(busy.int(2)) held reservations")
            }
            return problems
        }
    }

    /// Messages of this run that the mock delivered and reported by status callback (it retries
    /// them for a minute, across restarts) but whose status is not the reported one: each ends as
    /// the provider said, `delivered` (or `undelivered`), or the report was lost.
    private func unreported() async throws -> [String] {
        let reported = Dictionary(try await mockDeliveries().compactMap { message -> (String, String)? in
            guard let key = message["dedupeKey"] as? String, let status = message["reported"] as? String else { return nil }
            return (key, status)
        }, uniquingKeysWith: { first, _ in first })
        guard !reported.isEmpty else { return [] }
        let database = try await open()
        defer { Task { await database.close() } }
        let tenants = tenants, ids = Array(reported.keys)
        let statuses = try await database.read { db in
            try db.all("SELECT id, status FROM messages WHERE id IN (\(list: ids)) AND tenant IN (\(list: tenants))") {
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

    private func databaseChecks() async throws -> [String] {
        let database = try await open()
        defer { Task { await database.close() } }
        var problems = try await Wallets(database: database, clock: SystemClock()).audit()
        let tenantList = tenantList
        // What each tenant was charged (settlements and charges on its wallets, net of refunds),
        // its finished completions and batch items as recorded, and its sent messages' prices.
        let (charged, finished, messagePrices) = try await database.read { db in
            var charged: [String: Int64] = [:], messagePrices: [String: Int64] = [:]
            var finished: [FinishedCompletion] = []
            let ledger = try db.statement("""
                SELECT w.tenant, SUM(CASE l.kind WHEN 'refund' THEN -l.amount ELSE l.amount END)
                FROM wallet_ledger l JOIN wallets w ON w.id = l.wallet_id
                WHERE l.kind IN ('settle', 'charge', 'refund') AND w.tenant IN (SELECT value FROM json_each(?1)) GROUP BY w.tenant
                """)
            ledger.bind(1, tenantList)
            while try ledger.step() { charged[ledger.string(0) ?? "?"] = ledger.int64(1) }
            let jobs = try db.statement("""
                SELECT id, tenant, json_extract(result, '$.model'), json_extract(result, '$.usage.inputTokens'),
                       json_extract(result, '$.usage.outputTokens'), json_extract(result, '$.costMicroUSD')
                FROM jobs WHERE state = 'succeeded' AND kind IN ('inference.complete', 'inference.batch.item')
                AND tenant IN (SELECT value FROM json_each(?1))
                """)
            jobs.bind(1, tenantList)
            while try jobs.step() {
                finished.append(FinishedCompletion(
                    job: JobID(rawValue: jobs.int64(0)).description, tenant: jobs.string(1) ?? "?", model: jobs.string(2),
                    inputTokens: jobs.isNull(3) ? nil : jobs.int64(3), outputTokens: jobs.isNull(4) ? nil : jobs.int64(4),
                    recordedCostMicroUSD: jobs.isNull(5) ? nil : jobs.int64(5)))
            }
            let messages = try db.statement("""
                SELECT tenant, SUM(price) FROM messages WHERE status IN ('sent', 'delivered')
                AND tenant IN (SELECT value FROM json_each(?1)) GROUP BY tenant
                """)
            messages.bind(1, tenantList)
            while try messages.step() { messagePrices[messages.string(0) ?? "?"] = messages.int64(1) }
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
        problems += try await database.read { db in
            var found: [String] = []
            let stuck = try db.statement("SELECT count(*) FROM jobs WHERE state = 'running' AND lease_expires_at < ?")
            stuck.bind(1, Date().millisecondsSince1970 - 45_000)  // leases are recovered every 15 s
            if try stuck.step(), stuck.int(0) > 0 { found.append("\(stuck.int(0)) jobs are running without a live lease") }
            let duplicateKeys = try db.statement("""
                SELECT count(*) FROM (SELECT 1 FROM messages WHERE idempotency_key IS NOT NULL GROUP BY tenant, idempotency_key HAVING count(*) > 1)
                """)
            if try duplicateKeys.step(), duplicateKeys.int(0) > 0 { found.append("\(duplicateKeys.int(0)) Idempotency-Keys made more than one message") }
            return found
        }
        return problems
    }

    /// Keyed requests against what the database holds: a key made at most one charged
    /// completion (its prompt is unique per key) and at most one message (by key, and by its
    /// body, unique per key), and that one is the one the server answered with.
    private func keyChecks(_ keyed: [KeyedRequest]) async throws -> [String] {
        guard !keyed.isEmpty else { return [] }
        let database = try await open()
        defer { Task { await database.close() } }
        let tenantList = tenantList
        struct Made: Hashable, Sendable {
            var tenant: String
            var marker: String
        }
        let (completions, messagesByBody, messagesByKey) = try await database.read { db in
            var completions: [Made: [String]] = [:], messagesByBody: [Made: [String]] = [:], messagesByKey: [Made: [String]] = [:]
            // Succeeded only: a try answered with a failure changed nothing and is not stored, so a
            // resend runs again; what must not happen is two charged completions for one key.
            let jobs = try db.statement("""
                SELECT tenant, json_extract(payload, '$.messages[0].content'), id FROM jobs
                WHERE kind = 'inference.complete' AND state = 'succeeded' AND tenant IN (SELECT value FROM json_each(?1))
                AND json_extract(payload, '$.messages[0].content') LIKE 'load keyed %'
                """)
            jobs.bind(1, tenantList)
            while try jobs.step() {
                completions[Made(tenant: jobs.string(0) ?? "", marker: jobs.string(1) ?? ""), default: []]
                    .append(JobID(rawValue: jobs.int64(2)).description)
            }
            let messages = try db.statement("""
                SELECT tenant, body, idempotency_key, id FROM messages WHERE tenant IN (SELECT value FROM json_each(?1))
                AND (idempotency_key IS NOT NULL OR body LIKE 'load keyed %' OR body LIKE 'retry load-%')
                """)
            messages.bind(1, tenantList)
            while try messages.step() {
                let tenant = messages.string(0) ?? "", id = messages.string(3) ?? ""
                if let body = messages.string(1) { messagesByBody[Made(tenant: tenant, marker: body), default: []].append(id) }
                if let key = messages.string(2) { messagesByKey[Made(tenant: tenant, marker: Self.clientKey(key)), default: []].append(id) }
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

    /// The mock provider's deliveries: none twice (by dedupe key, and by recipient and text, which
    /// the load makes unique per message), none without a dedupe key, and every message the
    /// database says was sent among them. The database is read first: what it calls sent, the
    /// provider has by then.
    private func providerChecks() async -> [String] {
        guard mockURL != nil else { return [] }
        let sent: [String]
        do {
            let database = try await open()
            defer { Task { await database.close() } }
            sent = try await database.read { db in
                let select = try db.statement("SELECT id FROM messages WHERE status IN ('sent', 'delivered') AND provider != 'simulated'")
                var ids: [String] = []
                while try select.step() { ids.append(select.string(0) ?? "") }
                return ids
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
