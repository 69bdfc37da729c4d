import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import NIOCore
import Runtime
import Testing

@Suite("Inference batches")
struct BatchTests {
    static let path = "/llm-orch/v1/inference/batches"

    static func items(_ count: Int, prefix: String = "item", extra: String = "") -> String {
        (1...count).map { #"{"customId":"\#(prefix)-\#($0)","prompt":"question \#($0)","maxTokens":20\#(extra)}"# }.joined(separator: ",")
    }

    /// Polls `condition` (advancing the test clock by `tick` between polls) until it holds.
    static func waitUntil(_ harness: Harness, tick: Duration = .milliseconds(250), _ what: String,
                          _ condition: () async throws -> Bool) async throws {
        for _ in 0..<4_000 {
            if try await condition() { return }
            harness.clock.advance(by: tick)
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }

    static func batch(_ client: any TestClientProtocol, _ id: String, token: String) async throws -> [String: Any] {
        try #require(try ParsedEnvelope(try await client.get("\(path)/\(id)", token: token)).dataObject)
    }

    static func status(_ client: any TestClientProtocol, _ id: String, token: String) async throws -> String? {
        try await batch(client, id, token: token)["status"] as? String
    }

    @Test("a batch runs every item, pages its results in order, charges each item's cost and releases the rest of its hold")
    func completes() async throws {
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let response = try await client.send(.post, Self.path, token: token, json: #"{"items":[\#(Self.items(25))]}"#)
            #expect(response.status == .accepted)
            let created = try #require(try ParsedEnvelope(response).dataObject)
            let id = try #require(created["id"] as? String)
            #expect(created["status"] as? String == "in_progress")
            #expect((created["requestCounts"] as? [String: Any])?["total"] as? Int == 25)
            // The hold, whatever items the workers have charged against it already: what is still
            // reserved plus what was taken from the $1.00.
            let held = try #require(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)))
            let charged = MicroUSD(usd: 1).value - held.balance.value
            #expect(MicroUSD(held.reserved.value + charged).usdString == created["reservedUsd"] as? String)

            try await Self.waitUntil(harness, "the batch completed") { try await Self.status(client, id, token: token) == "completed" }

            var results: [[String: Any]] = []
            var cursor: String?
            repeat {
                let page = try ParsedEnvelope(try await client.get("\(Self.path)/\(id)/results?limit=10" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                                                   token: token))
                results += try #require(page.dataArray)
                cursor = page.page?["next_cursor"] as? String
            } while cursor != nil
            #expect(results.map { $0["customId"] as? String } == (1...25).map { "item-\($0)" })
            #expect(results.allSatisfy { $0["status"] as? String == "completed" && $0["text"] is String })
            let costs = try results.map { try MicroUSD(parsingUSD: try #require($0["costUsd"] as? String)) }
            let total = costs.reduce(MicroUSD(0), +)
            #expect(total > MicroUSD(0))

            let finished = try await Self.batch(client, id, token: token)
            #expect(finished["costUsd"] as? String == total.usdString)
            #expect((finished["requestCounts"] as? [String: Any])?["completed"] as? Int == 25)
            #expect(finished["finishedAt"] is String)
            #expect(finished["reservedUsd"] as? String == "0.00", "a finished batch still shows its released hold")
            let balance = try #require(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)))
            #expect(balance.balance == MicroUSD(usd: 1) - total && balance.reserved == MicroUSD(0))
            #expect(try await harness.runtime.wallets.audit().isEmpty)
            #expect(providerBox.provider?.callCount == 25)

            let list = try ParsedEnvelope(try await client.get(Self.path, token: token))
            #expect(list.dataArray?.map { $0["id"] as? String } == [id])
        }
    }

    @Test("NDJSON is accepted; the first invalid item is refused with its line named, and nothing is held or queued")
    func validation() async throws {
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let ndjson: HTTPFields = [.contentType: "application/x-ndjson"]
            let cases: [(body: String, headers: HTTPFields, status: Int, line: String?, field: String?)] = [
                (#"{"items":[{"customId":"a","prompt":"x","maxTokens":5},{"customId":"b","prompt":"x","maxTokens":5},{"customId":"a","prompt":"x","maxTokens":5}]}"#,
                 [:], 400, "3", "customId"),
                (#"{"items":[{"customId":"a","prompt":"x","maxTokens":5},{"customId":"b","prompt":"x","maxTokens":"many"}]}"#,
                 [:], 400, "2", "maxTokens"),
                (#"{"items":[{"customId":"a","prompt":"x","maxTokens":5},{"prompt":"x","maxTokens":5}]}"#, [:], 400, "2", "customId"),
                ("{\"customId\":\"a\",\"prompt\":\"x\",\"maxTokens\":5}\n\n{\"customId\":\"b\",\"prompt\":\"x\",\"maxTokens\":999999}\n",
                 ndjson, 400, "3", "maxTokens"),
                ("{\"customId\":\"a\",\"prompt\":\"x\",\"maxTokens\":5}\n{not json\n", ndjson, 400, "2", nil),
                // Two objects on one line, or one object over two lines, are not NDJSON.
                ("{\"customId\":\"a\",\"prompt\":\"x\",\"maxTokens\":5},{\"customId\":\"b\",\"prompt\":\"x\",\"maxTokens\":5}\n{\"customId\":\"c\",\"prompt\":\"x\",\n\"maxTokens\":5}\n",
                 ndjson, 400, "1", nil),
                ("{\"customId\":\"a\",\"prompt\":\"x\",\"maxTokens\":5}\n{\"customId\":\"c\",\"prompt\":\"x\",\n\"maxTokens\":5}\n", ndjson, 400, "2", nil),
                ("{\"customId\":\"a\",\"prompt\":\"x\",\"maxTokens\":5,\"useCase\":\"nope\"}\n", ndjson, 400, "1", "useCase"),
                (#"{"items":[]}"#, [:], 400, nil, "items"),
                (#"{"items":[{"customId":"a","prompt":"","maxTokens":5}]}"#, [:], 400, "1", "prompt"),
                ("customId,prompt\n", [.contentType: "text/csv"], 415, nil, nil),
            ]
            for item in cases {
                let response = try await client.send(.post, Self.path, token: token, json: item.body, headers: item.headers)
                #expect(response.status.code == item.status, "\(item.body)")
                let envelope = try ParsedEnvelope(response)
                let details = envelope.error?["details"] as? [String: Any]
                #expect(details?["line"] as? String == item.line, "\(item.body): \(envelope.error ?? [:])")
                if let field = item.field { #expect(details?["field"] as? String == field, "\(item.body): \(envelope.error ?? [:])") }
            }
            let good = try await client.send(.post, Self.path, token: token,
                                             json: "{\"customId\":\"a\",\"prompt\":\"x\",\"maxTokens\":5}\r\n{\"customId\":\"b\",\"prompt\":\"y\",\"maxTokens\":5}\n",
                                             headers: ndjson)
            #expect(good.status == .accepted)
            #expect((try ParsedEnvelope(good).dataObject?["requestCounts"] as? [String: Any])?["total"] as? Int == 2)
            let batchJobs = try await harness.runtime.jobs.jobs(tenant: TestKeys.tenant, states: [], kind: BatchItemJob.kind, before: nil, limit: 100)
            #expect(batchJobs.count == 2)  // only the good batch's
            #expect(try ParsedEnvelope(try await client.get(Self.path, token: token)).dataArray?.count == 1)
        }
    }

    @Test("a batch over the budget header or the wallet is refused whole: 402, nothing held, queued or called")
    func refusedWhole() async throws {
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "0.01")
            // Each item's worst case fits the budget and the wallet; the batch's does not.
            let body = #"{"items":[\#(Self.items(100, extra: #","useCase":"reasoning""#))]}"#
            let budget = try await client.send(.post, Self.path, token: token, json: body, headers: [.init("x-budget-max-usd")!: "0.01"])
            #expect(budget.status.code == 402)
            #expect(try ParsedEnvelope(budget).errorCode == "budget_exceeded")
            let poor = try await client.send(.post, Self.path, token: token, json: body)
            #expect(poor.status.code == 402)
            #expect(try ParsedEnvelope(poor).errorCode == "insufficient_credits")
            #expect(providerBox.provider?.callCount == 0)
            #expect(try ParsedEnvelope(try await client.get(Self.path, token: token)).dataArray?.isEmpty == true)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.reserved == MicroUSD(0))
            #expect(try await harness.runtime.jobs.countByState().values.reduce(0, +) == 0)
        }
    }

    @Test("items fan out no faster than the provider's RPM limit: the rest wait (test clock) and all finish")
    func respectsProviderRPM() async throws {
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) }, limiter: { clock in
            let limiter = RateLimiter(clock: clock)
            limiter.configure(key: "llm:simulated:sim-large", quotas: [.requests(2, per: .seconds(60))])
            return limiter
        })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let response = try await client.send(.post, Self.path, token: token,
                                                 json: #"{"items":[\#(Self.items(6, extra: #","useCase":"reasoning""#))]}"#)
            let id = try #require(try ParsedEnvelope(response).dataObject?["id"] as? String)
            let start = harness.clock.now()
            var calls: [(seconds: Double, count: Int)] = []
            try await Self.waitUntil(harness, tick: .seconds(1), "every item ran") {
                let count = providerBox.provider?.callCount ?? 0
                if calls.last?.count != count { calls.append((harness.clock.now().timeIntervalSince(start), count)) }
                return try await Self.status(client, id, token: token) == "completed"
            }
            // 2 per minute, so never more than 2 + elapsed/30 s calls at any moment.
            for (seconds, count) in calls { #expect(count <= 2 + Int(seconds / 30), "\(count) calls after \(seconds) s") }
            #expect(providerBox.provider?.callCount == 6)
            #expect(harness.clock.now().timeIntervalSince(start) >= 120)
            #expect(try await harness.runtime.wallets.audit().isEmpty)
        }
    }

    @Test("two tenants' batches share the workers: a small batch submitted behind a large one is not starved")
    func fairAcrossTenants() async throws {
        let harness = try await Harness.make(providers: { [SimulatedProvider(configuration: .init(latency: .seconds(1)), clock: $0)] },
                                             workers: WorkerConfiguration(maxInFlight: 8))
        let big = try await harness.token()
        let small = try await harness.token(tenant: TestKeys.otherTenant)
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "5.00")
            try await client.credit(tenant: TestKeys.otherTenant, amount: "5.00")
            let first = try await client.send(.post, Self.path, token: big, json: #"{"items":[\#(Self.items(80))]}"#)
            let bigID = try #require(try ParsedEnvelope(first).dataObject?["id"] as? String)
            let second = try await client.send(.post, Self.path, token: small, json: #"{"items":[\#(Self.items(4))]}"#)
            let smallID = try #require(try ParsedEnvelope(second).dataObject?["id"] as? String)
            var bigDoneWhenSmallFinished = -1
            try await Self.waitUntil(harness, tick: .milliseconds(500), "the small batch completed") {
                let counts = try await Self.batch(client, bigID, token: big)["requestCounts"] as? [String: Any]
                if try await Self.status(client, smallID, token: small) == "completed" {
                    bigDoneWhenSmallFinished = counts?["completed"] as? Int ?? -1
                    return true
                }
                return false
            }
            // First come, first served would finish all 80 first; round-robin serves both from the next claim.
            #expect(bigDoneWhenSmallFinished >= 0 && bigDoneWhenSmallFinished <= 32, "the big batch had \(bigDoneWhenSmallFinished) done")
            try await Self.waitUntil(harness, tick: .milliseconds(500), "the big batch completed") {
                try await Self.status(client, bigID, token: big) == "completed"
            }
        }
    }

    @Test("cancel stops the items not started; running ones finish and stay charged; the rest of the hold is released")
    func cancel() async throws {
        let harness = try await Harness.make(providers: { [SimulatedProvider(configuration: .init(latency: .seconds(10)), clock: $0)] },
                                             workers: WorkerConfiguration(maxInFlight: 2))
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let response = try await client.send(.post, Self.path, token: token, json: #"{"items":[\#(Self.items(10))]}"#)
            let id = try #require(try ParsedEnvelope(response).dataObject?["id"] as? String)
            try await Self.waitUntil(harness, tick: .zero, "two items are running") {
                try await harness.runtime.jobs.countByState()[.running] == 2
            }
            let cancelled = try await client.send(.post, "\(Self.path)/\(id)/cancel", token: token)
            #expect(cancelled.status == .ok)
            let data = try #require(try ParsedEnvelope(cancelled).dataObject)
            #expect(data["status"] as? String == "cancelling")
            #expect((data["requestCounts"] as? [String: Any])?["cancelled"] as? Int == 8)

            try await Self.waitUntil(harness, tick: .seconds(1), "the batch is cancelled") {
                try await Self.status(client, id, token: token) == "cancelled"
            }
            let results = try #require(try ParsedEnvelope(try await client.get("\(Self.path)/\(id)/results?limit=100", token: token)).dataArray)
            #expect(results.filter { $0["status"] as? String == "completed" }.count == 2)
            #expect(results.filter { $0["status"] as? String == "cancelled" }.count == 8)
            let charged = try results.compactMap { $0["costUsd"] as? String }.map { try MicroUSD(parsingUSD: $0) }.reduce(MicroUSD(0), +)
            let balance = try #require(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)))
            #expect(balance.balance == MicroUSD(usd: 1) - charged && balance.reserved == MicroUSD(0))
            #expect(try await harness.runtime.wallets.audit().isEmpty)

            let again = try await client.send(.post, "\(Self.path)/\(id)/cancel", token: token)
            #expect(again.status == .conflict)
            #expect(try ParsedEnvelope(again).errorCode == "batch_finished")
            let unknown = try await client.send(.post, "\(Self.path)/batch_nope/cancel", token: token)
            #expect(unknown.status == .notFound)
        }
    }

    @Test("items not run within the 24 h window are cancelled as expired, and the batch ends expired")
    func expires() async throws {
        // One item a minute, one worker: the first item runs, the others wait for the limiter
        // when the window closes; the finalizer comes first among the tenant's due jobs.
        let providerBox = ProviderBox()
        let harness = try await Harness.make(providers: { providerBox.make($0) }, limiter: { clock in
            let limiter = RateLimiter(clock: clock)
            limiter.configure(key: "llm:simulated:sim-large", quotas: [.requests(1, per: .seconds(60))])
            return limiter
        }, workers: WorkerConfiguration(maxInFlight: 1))
        let token = try await harness.token(expiresIn: 30 * 3_600)
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let response = try await client.send(.post, Self.path, token: token,
                                                 json: #"{"items":[\#(Self.items(3, extra: #","useCase":"reasoning""#))]}"#)
            let id = try #require(try ParsedEnvelope(response).dataObject?["id"] as? String)
            try await Self.waitUntil(harness, tick: .zero, "the first item ran and the others wait") {
                let states = try await harness.runtime.jobs.counts(batch: id)
                return states[.succeeded] == 1 && states[.scheduled] == 2
            }
            harness.clock.advance(by: .seconds(25 * 3_600))
            try await Self.waitUntil(harness, tick: .seconds(1), "the batch expired") {
                try await Self.status(client, id, token: token) == "expired"
            }
            let results = try #require(try ParsedEnvelope(try await client.get("\(Self.path)/\(id)/results", token: token)).dataArray)
            #expect(results.map { $0["status"] as? String } == ["completed", "expired", "expired"])
            let batch = try await Self.batch(client, id, token: token)
            #expect((batch["requestCounts"] as? [String: Any])?["cancelled"] as? Int == 2)
            #expect(batch["expiredAt"] is String)
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant))?.reserved == MicroUSD(0))
        }
    }

    @Test("another tenant's batch is not found; a replayed submission creates nothing more")
    func isolationAndReplay() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let other = try await harness.token(tenant: TestKeys.otherTenant)
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let key: HTTPFields = [.init("Idempotency-Key")!: "batch-1"]
            let body = #"{"items":[\#(Self.items(3))]}"#
            let first = try await client.send(.post, Self.path, token: token, json: body, headers: key)
            let second = try await client.send(.post, Self.path, token: token, json: body, headers: key)
            #expect(second.headers[.init("Idempotency-Replayed")!] == "true")
            #expect(String(buffer: first.body) == String(buffer: second.body))
            #expect(try ParsedEnvelope(try await client.get(Self.path, token: token)).dataArray?.count == 1)
            let id = try #require(try ParsedEnvelope(first).dataObject?["id"] as? String)
            for path in ["\(Self.path)/\(id)", "\(Self.path)/\(id)/results"] {
                #expect(try await client.get(path, token: other).status == .notFound)
            }
            #expect(try await client.send(.post, "\(Self.path)/\(id)/cancel", token: other).status == .notFound)
            // The batch's finalizer is not the tenant's job: it cannot be seen or cancelled through the jobs API.
            let jobs = try #require(try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs?limit=100", token: token)).dataArray)
            #expect(!jobs.isEmpty && jobs.allSatisfy { $0["kind"] as? String == BatchItemJob.kind })
            let finalizer = try #require(try await harness.runtime.jobs.job(tenant: "system", uniqueKey: "batch-finalize:\(id)"))
            #expect(try await client.send(.post, "/llm-orch/v1/jobs/\(finalizer.id)/cancel", token: token).status == .notFound)
        }
    }
}
