import Foundation
public import Runtime

/// A synchronous completion, run inline in the request's own task (DESIGN.md, "Synchronous
/// work runs inline"). One commit inserts its `inference.complete` job already running and
/// leased to this process together with the worst-case reservation; the provider is called in
/// the caller's task within the worker pool's budget; one commit records the outcome with the
/// settlement (or the release). Nothing goes through the queue and back. If the process dies
/// in between, the job's lease runs out and it is recovered like any leased job (it reserves
/// under the same reference, so it is charged at most once). Both commits are grouped by
/// wallet (`Backend.write(grouping:_:)`): on PostgreSQL, a busy wallet's completions take its
/// lock and wait for the flush together.
public struct InlineCompletion: Sendable {
    let runtime: JobRuntime
    let llm: LLMService

    public init(runtime: JobRuntime, llm: LLMService) {
        self.runtime = runtime
        self.llm = llm
    }

    /// A completion's answer and the job that recorded it.
    public struct Answer: Sendable {
        public let job: JobRecord
        public let output: InferenceCompleteJob.Output
        /// False when the answer is that of a job an earlier request with the same key made.
        public let ranNow: Bool
    }

    /// A completion whose job and reservation are written: `run` it.
    public struct Started: Sendable {
        public let job: JobRecord
        let reservation: Reservation
        let payload: InferenceCompleteJob.Payload
    }

    /// What `start` found: a completion to run, or the answer of one the same key made before.
    public enum Start: Sendable {
        case ready(Started)
        case answered(Answer)
    }

    /// Writes one completion's job and reservation for `tenant` on `wallet` (one commit; a
    /// refused reservation writes nothing). With `uniqueKey` (from the caller's
    /// Idempotency-Key), a job the same key made before answers instead: its output if it
    /// succeeded, 409 while it still runs; one that failed charged nothing, so this starts anew.
    public func start(tenant: String, wallet: WalletKey, payload: InferenceCompleteJob.Payload, uniqueKey: String?)
        async throws(CompletionError) -> Start {
        let (job, reservation) = try await begin(tenant: tenant, wallet: wallet, payload: payload, uniqueKey: uniqueKey)
        if let reservation { return .ready(Started(job: job, reservation: reservation, payload: payload)) }
        switch job.state {
        case .succeeded:
            guard let result = job.result, let output = try? JobJSON.decoder.decode(InferenceCompleteJob.Output.self, from: result) else {
                throw .unavailable("the earlier completion's answer cannot be read")
            }
            return .answered(Answer(job: job, output: output, ranNow: false))
        case .failed, .dead, .cancelled:
            // It charged nothing: run again, as the key's next attempt. Keyed too, so a resend
            // while that one runs (or after its process died) finds it instead of starting a third.
            return try await start(tenant: tenant, wallet: wallet, payload: payload, uniqueKey: uniqueKey.map(Self.nextAttempt))
        case .queued, .scheduled, .running:
            throw .inProgress(job.id)
        }
    }

    /// The unique key of the attempt after the one keyed `key`: `…#1`, `…#2`, ….
    static func nextAttempt(_ key: String) -> String {
        guard let mark = key.lastIndex(of: "#"), let number = Int(key[key.index(after: mark)...]) else { return key + "#1" }
        return key[..<mark] + "#\(number + 1)"
    }

    /// Calls the providers in the caller's task and records the outcome with the settlement.
    /// `onDelta` receives the text as it streams (nil: not streamed).
    public func run(_ started: Started, onDelta: (@Sendable (String) async -> Void)?) async throws(CompletionError) -> Answer {
        let router = llm.router, payload = started.payload
        let attempt = await runtime.runInline(started.job) { _ in
            let request = ProviderRequest(model: "", messages: payload.messages, maxTokens: payload.maxTokens,
                                          temperature: payload.temperature)
            if let onDelta {
                return try await router.stream(request, targets: payload.targets, deadline: payload.deadline) { await onDelta($0) }
            }
            return try await router.complete(request, targets: payload.targets, deadline: payload.deadline)
        }
        return try await end(started.job, reservation: started.reservation, attempt: attempt, payload: payload)
    }

    /// One commit: the job, running and leased here, and its reservation. A refused reservation
    /// writes nothing.
    private func begin(tenant: String, wallet: WalletKey, payload: InferenceCompleteJob.Payload, uniqueKey: String?)
        async throws(CompletionError) -> (JobRecord, Reservation?) {
        let runtime = self.runtime, now = runtime.clock.now()
        let encoded: Data
        do { encoded = try JobJSON.encoder.encode(payload) } catch { throw .unavailable("the completion could not be recorded: \(error)") }
        let job = NewJob(kind: InferenceCompleteJob.kind, tenant: tenant, payload: encoded, uniqueKey: uniqueKey)
        do {
            return try await runtime.backend.write(grouping: wallet.writeGroup) { tx in
                let inserted = try runtime.insertRunning(job, now: now, in: tx)
                guard inserted.created else { return (inserted.job, nil) }
                let reservation = try runtime.wallets.reserve(MicroUSD(payload.worstCaseMicroUSD), on: wallet,
                                                              reference: "job:\(inserted.job.id)", jobID: inserted.job.id, now: now, in: tx)
                return (inserted.job, reservation)
            }
        } catch let error as WalletError {
            throw .wallet(error)
        } catch {
            throw .store(error)
        }
    }

    /// One commit: the outcome, with the settlement of what the provider used or the release of
    /// the reservation. An attempt that lost its lease records nothing: the job is another's now.
    private func end(_ job: JobRecord, reservation: Reservation, attempt: InlineAttempt<LLMRouter.Routed>,
                     payload: InferenceCompleteJob.Payload) async throws(CompletionError) -> Answer {
        if attempt.stop == .leaseLost { throw .unavailable("the completion's lease ran out (the server was paused); it goes on as job \(job.id)") }
        let runtime = self.runtime, prices = llm.prices, now = runtime.clock.now()
        switch attempt.result {
        case .success(let routed):
            let cost = prices.cost(of: routed.response.usage, model: routed.target.model) ?? MicroUSD(payload.worstCaseMicroUSD)
            do {
                let (output, outcome) = try await runtime.backend.write(grouping: reservation.wallet.writeGroup) { tx in
                    let (settled, balance) = try runtime.wallets.settleReadingBalance(reservation, actualCost: cost, now: now, in: tx)
                    let output = InferenceCompleteJob.Output(
                        text: routed.response.text, provider: routed.target.provider, model: routed.target.model,
                        finishReason: routed.response.finishReason, usage: routed.response.usage, costMicroUSD: settled.charged.value,
                        walletID: reservation.walletID, walletBalanceMicroUSD: balance?.value ?? 0)
                    let outcome = JobCompletion.Outcome.succeeded(result: try JobJSON.encoder.encode(output))
                    try runtime.complete(job, outcome, now: now, in: tx)
                    return (output, outcome)
                }
                runtime.inlineFinished(job, outcome)
                return Answer(job: job, output: output, ranNow: true)
            } catch {
                throw .store(error)
            }
        case .failure(let failure):
            let error: CompletionError = switch (attempt.stop, failure) {
            case (.cancelled?, _): .cancelled(job.id)
            case (.timedOut?, _): .timedOut(job.id)
            case (.shutdown?, _): .unavailable("the server is shutting down")
            case (_, let routing as RoutingError): .routing(routing, job.id)
            case (_, is CancellationError): .unavailable("the request was cancelled")
            default: .unavailable("the completion failed: \(failure)")
            }
            let outcome: JobCompletion.Outcome = error.isCancellation ? .cancelled : .failed(error: error.message)
            do {
                try await runtime.backend.write(grouping: reservation.wallet.writeGroup) { tx in
                    _ = try runtime.wallets.release(reservation, now: now, in: tx)
                    try runtime.complete(job, outcome, now: now, in: tx)
                }
            } catch {
                throw .store(error)
            }
            runtime.inlineFinished(job, outcome)
            throw error
        }
    }
}

/// Why an inline completion gave no answer; the HTTP front maps each case to its status and
/// `error.code` in one place.
public enum CompletionError: Error, Sendable {
    /// The wallet cannot cover the worst case (or the budget header refuses it): nothing was written.
    case wallet(WalletError)
    /// Every provider failed, limited or refused it; the job is recorded failed.
    case routing(RoutingError, JobID)
    /// The same Idempotency-Key's job is still running.
    case inProgress(JobID)
    case cancelled(JobID)
    case timedOut(JobID)
    /// Shutting down, paused past the lease, or the store refused a write.
    case unavailable(String)
    case store(any Error)

    var isCancellation: Bool { if case .cancelled = self { true } else { false } }

    public var message: String {
        switch self {
        case .wallet(let error): error.message
        case .routing(let error, _): error.message
        case .inProgress(let id): "a request with this Idempotency-Key is still in progress as job \(id); retry later"
        case .cancelled: "the completion was cancelled"
        case .timedOut(let id): "the completion did not finish in time (job \(id))"
        case .unavailable(let message): message
        case .store(let error): "\(error)"
        }
    }
}
