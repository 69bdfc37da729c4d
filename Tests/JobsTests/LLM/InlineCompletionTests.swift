import Foundation
@testable import Jobs
import Logging
import Runtime
import Testing

@Suite("Inline completions")
struct InlineCompletionTests {
    final class Directory: Sendable {
        let path = NSTemporaryDirectory() + "switchboard-inline-test-\(UUID().uuidString)"
        init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func open(_ directory: Directory, clock: TestClock, owner: String) async throws -> (JobRuntime, LLMService) {
        let llm = LLMService.development(clock: clock)
        let runtime = try await JobRuntime.open(
            RuntimeConfiguration(store: StoreConfiguration(path: RuntimeConfiguration.databasePath(inDataDirectory: directory.path)),
                                 owner: owner),
            registry: { JobCatalog.registry(llm: llm, messaging: .development(clock: clock), services: $0) },
            migrations: JobCatalog.migrations, clock: clock, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (runtime, llm)
    }

    static func payload(_ llm: LLMService, clock: TestClock) throws -> InferenceCompleteJob.Payload {
        let targets = try llm.configuration.routing.targets(useCase: "chat", model: nil)
        let messages = [ChatMessage(role: .user, content: "hello there")]
        let worst = try #require(llm.worstCase(inputTokens: TokenEstimate.inputTokens(messages), maxTokens: 20, targets: targets))
        return InferenceCompleteJob.Payload(messages: messages, maxTokens: 20, temperature: nil, targets: targets, wallet: "team",
                                            worstCaseMicroUSD: worst.value, deadline: clock.now().addingTimeInterval(600))
    }

    /// Turns the test clock while `body` waits for something the runtime does on its timers.
    static func ticking<T>(_ clock: TestClock, _ body: () async throws -> T) async rethrows -> T {
        let ticker = Task {
            while !Task.isCancelled {
                clock.advance(by: .milliseconds(500))
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        defer { ticker.cancel() }
        return try await body()
    }

    @Test("one completion is one job, leased here while it runs, settled in the commit that records it")
    func completesInline() async throws {
        let directory = Directory(), clock = TestClock(now: Date()), team = WalletKey.team("acme")
        let (runtime, llm) = try await Self.open(directory, clock: clock, owner: "test-a")
        _ = try await runtime.wallets.credit(MicroUSD(usd: 1), to: team)
        let inline = InlineCompletion(runtime: runtime, llm: llm), payload = try Self.payload(llm, clock: clock)
        guard case .ready(let started) = try await inline.start(tenant: "acme", wallet: team, payload: payload, uniqueKey: "idem:k1") else {
            Issue.record("a new key must start a completion")
            return
        }
        let running = try #require(try await runtime.job(started.job.id))
        #expect(running.state == .running && running.leaseOwner == "test-a" && running.attempts == 1)
        #expect(try await runtime.wallets.balance(of: team)?.reserved == MicroUSD(payload.worstCaseMicroUSD))
        let answer = try await Self.ticking(clock) { try await inline.run(started, onDelta: nil) }
        let done = try #require(try await runtime.job(started.job.id))
        #expect(done.state == .succeeded && done.leaseOwner == nil)
        let balance = try #require(try await runtime.wallets.balance(of: team))
        #expect(answer.output.costMicroUSD > 0 && balance.reserved == .zero)
        #expect(balance.balance == MicroUSD(usd: 1) - MicroUSD(answer.output.costMicroUSD))
        #expect(answer.output.walletBalanceMicroUSD == balance.balance.value)
        // The same key again answers from the job: no second run, no second charge.
        guard case .answered(let again) = try await inline.start(tenant: "acme", wallet: team, payload: try Self.payload(llm, clock: clock),
                                                                 uniqueKey: "idem:k1") else {
            Issue.record("the same key must answer from its job")
            return
        }
        #expect(again.job.id == started.job.id && !again.ranNow && again.output == answer.output)
        #expect(try await runtime.wallets.balance(of: team) == balance)
        #expect(try await runtime.wallets.audit().isEmpty)
        await runtime.close()
    }

    @Test("after a keyed attempt failed, a resend runs the key's next attempt, and a resend while that runs finds it (no third)")
    func keyedAttemptAfterFailure() async throws {
        let directory = Directory(), clock = TestClock(now: Date()), team = WalletKey.team("acme")
        let (runtime, llm) = try await Self.open(directory, clock: clock, owner: "test-a")
        _ = try await runtime.wallets.credit(MicroUSD(usd: 1), to: team)
        let inline = InlineCompletion(runtime: runtime, llm: llm), payload = try Self.payload(llm, clock: clock)
        guard case .ready(let first) = try await inline.start(tenant: "acme", wallet: team, payload: payload, uniqueKey: "idem:k2") else {
            Issue.record("a new key must start a completion")
            return
        }
        // The first attempt fails (every provider refused it): it charged nothing.
        _ = try await runtime.wallets.release(first.reservation)
        try await runtime.backend.write { tx in
            _ = try tx.run("UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires_at = NULL WHERE id = \(first.job.id.rawValue)")
        }
        guard case .ready(let second) = try await inline.start(tenant: "acme", wallet: team, payload: payload, uniqueKey: "idem:k2") else {
            Issue.record("a resend after a failure must run again")
            return
        }
        #expect(second.job.id != first.job.id && second.job.uniqueKey == "idem:k2#1")
        // Its process dies now, say, and the client resends: the running attempt answers, nothing new starts.
        await #expect { _ = try await inline.start(tenant: "acme", wallet: team, payload: payload, uniqueKey: "idem:k2") } throws: {
            guard case .inProgress(let id) = $0 as? CompletionError else { return false }
            return id == second.job.id
        }
        #expect(try await runtime.jobs.countByState().values.reduce(0, +) == 2)
        #expect(InlineCompletion.nextAttempt("idem:k2#1") == "idem:k2#2" && InlineCompletion.nextAttempt("idem:a#b") == "idem:a#b#1")
        await runtime.close()
    }

    @Test("a wallet that cannot cover the worst case refuses before anything is written")
    func refusedWritesNothing() async throws {
        let directory = Directory(), clock = TestClock(now: Date()), team = WalletKey.team("acme")
        let (runtime, llm) = try await Self.open(directory, clock: clock, owner: "test-a")
        _ = try await runtime.wallets.credit(MicroUSD(1), to: team)
        let inline = InlineCompletion(runtime: runtime, llm: llm), payload = try Self.payload(llm, clock: clock)
        do throws(CompletionError) {
            _ = try await inline.start(tenant: "acme", wallet: team, payload: payload, uniqueKey: nil)
            Issue.record("a reservation above the balance must be refused")
        } catch {
            guard case .wallet(let wallet) = error else { Issue.record("expected a wallet error, not \(error)"); return }
            #expect(wallet.code == .insufficientCredits)
        }
        #expect(try await runtime.jobs.countByState().values.reduce(0, +) == 0)
        #expect(try await runtime.wallets.balance(of: team)?.reserved == .zero)
        await runtime.close()
    }

    @Test("killed between the reservation and the outcome: the job is recovered and charged once, the ledger balances")
    func crashBetweenReserveAndOutcome() async throws {
        let directory = Directory(), clock = TestClock(now: Date()), team = WalletKey.team("acme")
        let jobID: JobID
        do {
            let (runtime, llm) = try await Self.open(directory, clock: clock, owner: "test-a")
            _ = try await runtime.wallets.credit(MicroUSD(usd: 1), to: team)
            let inline = InlineCompletion(runtime: runtime, llm: llm)
            guard case .ready(let started) = try await inline.start(tenant: "acme", wallet: team,
                                                                    payload: try Self.payload(llm, clock: clock), uniqueKey: nil) else {
                Issue.record("a completion without a key must start")
                return
            }
            jobID = started.job.id
            // The process dies here: the job and its reservation are committed, nothing else.
            await runtime.close()
        }
        let (runtime, _) = try await Self.open(directory, clock: clock, owner: "test-b")
        // Start-up keeps the dead process's reservation (its job is still leased: the rerun reserves
        // with the same reference and gets this hold back)…
        let held = try #require(try await runtime.wallets.balance(of: team)?.reserved)
        #expect(held > .zero)
        let running = Task { try await runtime.run() }
        // …and once the lease runs out the job is recovered and runs from the queue.
        let finished = try await Self.ticking(clock) { () -> JobRecord? in
            for _ in 0..<5_000 {
                if let job = try await runtime.job(jobID), job.state.isTerminal { return job }
                try await Task.sleep(for: .milliseconds(1))
            }
            return nil
        }
        runtime.shutdown()
        try await running.value
        let job = try #require(finished)
        #expect(job.state == .succeeded && job.recoveries == 1)
        let output = try JobJSON.decoder.decode(InferenceCompleteJob.Output.self, from: try #require(job.result))
        let balance = try #require(try await runtime.wallets.balance(of: team))
        #expect(balance.balance == MicroUSD(usd: 1) - MicroUSD(output.costMicroUSD) && balance.reserved == .zero)
        let settles = try await runtime.backend.read { tx in
            try tx.first("SELECT count(*) AS n FROM wallet_ledger WHERE kind = 'settle' AND reference = \("job:\(jobID)")") { $0["n"] as Int }
        }
        #expect(settles == 1)
        let reserves = try await runtime.backend.read { tx in
            try tx.first("SELECT count(*) AS n FROM wallet_reservations WHERE reference = \("job:\(jobID)")") { $0["n"] as Int }
        }
        #expect(reserves == 1)
        #expect(try await runtime.wallets.audit().isEmpty)
        await runtime.close()
    }
}
