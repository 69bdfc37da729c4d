import Foundation
import HTTPTypes
import Hummingbird
import Jobs
import Runtime

/// `POST /llm-orch/v1/inference/complete`: validates, prices the worst case, checks the budget
/// header and the wallet, then runs the completion as an `inference.complete` job and answers
/// when it ends. Nothing is reserved and no provider is called for a request refused here.
extension HTTPFront {
    struct CompleteRequest: ClosedJSONBody {
        var prompt: String?
        var messages: [ChatMessage]?
        var maxTokens: Int
        var useCase: String?
        var model: String?
        var temperature: Double?
        var stream: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable { case prompt, messages, maxTokens, useCase, model, temperature, stream }
        static let schema = BodySchema(CodingKeys.self)
    }

    struct CompleteAnswer: Encodable {
        struct Usage: Encodable {
            var inputTokens: Int
            var outputTokens: Int
        }

        struct Wallet: Encodable {
            var id: String
            var balanceUsd: String
        }

        var id: String
        var text: String
        var model: String
        var provider: String
        var finishReason: String
        var usage: Usage
        var costUsd: String
        var wallet: Wallet
    }

    static let maxMessages = 1_000
    /// How much longer than the request deadline a request waits for its job.
    static let waitGrace: Duration = .seconds(30)

    func addInferenceRoutes(_ group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        // The mark outlasts the longest a completion can run (its deadline, then the wait's grace).
        let idempotent = group.group().add(middleware: IdempotencyMiddleware(
            store: runtime.idempotency, body: body, lease: llm.configuration.requestDeadline + Self.waitGrace + .seconds(30)))
        table.post(Self.llmPrefix + "/inference/complete", on: idempotent) { request, context in
            try await complete(request, context)
        }
    }

    private func complete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let caller = try context.caller()
        let input = try await body.decode(CompleteRequest.self, from: request)
        let (messages, targets, worstCase) = try priced(prompt: input.prompt, messages: input.messages, maxTokens: input.maxTokens,
                                                        useCase: input.useCase, model: input.model, temperature: input.temperature)
        if let ceiling = try Self.budgetCeiling(request), worstCase > ceiling {
            throw APIError(ErrorMapping.paymentRequired, "budget_exceeded",
                           "the worst-case cost \(worstCase.usdString) USD is above the budget of \(ceiling.usdString) USD")
        }
        let wallet = try await chooseWallet(caller, worstCase: worstCase, forced: request.headers[.wallet])

        let streaming = input.stream == true
        let payload = InferenceCompleteJob.Payload(
            messages: messages, maxTokens: input.maxTokens, temperature: input.temperature, targets: targets, wallet: wallet.owner,
            worstCaseMicroUSD: worstCase.value,
            deadline: runtime.clock.now().addingTimeInterval(llm.configuration.requestDeadline.timeInterval), stream: streaming)
        var key: String
        if let scoped = IdempotencyScope.key(of: request, caller: caller) {
            guard let registered = waiters.register(idempotencyKey: scoped) else {
                throw APIError.conflict("idempotency_conflict", "a request with this Idempotency-Key is still in progress; retry later")
            }
            key = registered
        } else {
            key = waiters.register()
        }
        var deltas = streaming ? llm.streams.open(key) : nil
        var job: JobRecord
        do {
            let enqueued = try await runtime.enqueue(NewJob(InferenceCompleteJob.self, tenant: caller.tenant, payload: payload, uniqueKey: key))
            job = enqueued.job
            // The same caller's key made this job before (the first request's process died, or its
            // mark ran out): one that succeeded is the answer, one still running is waited for, so
            // a retry never runs (or charges) a second time. One that failed charged nothing: run anew.
            if !enqueued.created, let ended = JobWaiters.Finished(ended: job) {
                waiters.cancel(key)
                llm.streams.close(key)
                if case .succeeded = ended.outcome {
                    return streaming ? finalEvent(ended, job: job) : try answer(ended, context: context)
                }
                key = waiters.register()
                deltas = streaming ? llm.streams.open(key) : nil
                job = try await runtime.enqueue(NewJob(InferenceCompleteJob.self, tenant: caller.tenant, payload: payload, uniqueKey: key)).job
            }
        } catch {
            waiters.cancel(key)
            llm.streams.close(key)
            throw error
        }
        if let deltas { return eventStream(deltas, key: key, job: job, context: context) }
        guard let finished = await waiters.wait(key, timeout: llm.configuration.requestDeadline + Self.waitGrace) else {
            throw APIError(.gatewayTimeout, "timeout", "the completion did not finish in time; it goes on as job \(job.id)",
                           details: ["jobId": job.id.description])
        }
        return try answer(finished, context: context)
    }

    /// Validates one completion (prompt or messages, temperature, route, `maxTokens` within the
    /// route's models) and prices its worst case. Errors name the field.
    func priced(prompt: String?, messages: [ChatMessage]?, maxTokens: Int, useCase: String?, model: String?, temperature: Double?)
        throws -> (messages: [ChatMessage], targets: [RouteTarget], worstCase: MicroUSD) {
        let messages = try Self.messages(prompt: prompt, messages: messages)
        if let temperature, !(0...2).contains(temperature) {
            throw APIError.invalid("temperature", "temperature must be from 0 to 2")
        }
        let targets: [RouteTarget]
        do { targets = try llm.configuration.routing.targets(useCase: useCase, model: model) } catch {
            throw APIError.invalid(error.kind == .unknownModel ? "model" : "useCase", error.message)
        }
        let limit = llm.maxOutputTokens(targets: targets)
        guard (1...max(limit, 1)).contains(maxTokens) else {
            throw APIError.invalid("maxTokens", "maxTokens must be from 1 to \(limit) for this route")
        }
        guard let worstCase = llm.worstCase(inputTokens: TokenEstimate.inputTokens(messages), maxTokens: maxTokens, targets: targets)
        else { throw APIError.invalid("model", "the route has a model without a price") }
        return (messages, targets, worstCase)
    }

    /// `x-budget-max-usd`, if sent.
    static func budgetCeiling(_ request: Request) throws -> MicroUSD? {
        guard let text = request.headers[.budgetMaxUSD] else { return nil }
        do { return try MicroUSD(parsingUSD: text) } catch { throw APIError.invalid("x-budget-max-usd", "x-budget-max-usd: \(error)") }
    }

    /// `prompt` or `messages`, exactly one, with some text.
    private static func messages(prompt: String?, messages: [ChatMessage]?) throws -> [ChatMessage] {
        switch (prompt, messages) {
        case (let prompt?, nil):
            guard !prompt.isEmpty else { throw APIError.invalid("prompt", "prompt must not be empty") }
            return [ChatMessage(role: .user, content: prompt)]
        case (nil, let messages?):
            guard !messages.isEmpty, messages.count <= maxMessages else {
                throw APIError.invalid("messages", "messages must hold 1 to \(maxMessages) messages")
            }
            guard messages.contains(where: { !$0.content.isEmpty }) else {
                throw APIError.invalid("messages", "at least one message must have content")
            }
            return messages
        case (nil, nil):
            throw APIError.invalid("prompt", "send prompt or messages")
        case (_?, _?):
            throw APIError.invalid("messages", "send prompt or messages, not both")
        }
    }

    /// `x-wallet: team|user` forces one; otherwise the caller's user wallet when it exists and
    /// covers the worst case, else the team wallet. Either must cover it (402 otherwise).
    func chooseWallet(_ caller: Principal, worstCase: MicroUSD, forced: String?) async throws -> WalletKey {
        let team = WalletKey.team(caller.tenant)
        let user = WalletKey.user(caller.tenant, caller.subject)
        let balances = try await runtime.wallets.balances(of: caller.tenant, owners: [team, user])
        let chosen: (WalletKey, WalletBalance?)
        switch forced {
        case "team": chosen = (team, balances[0])
        case "user": chosen = (user, balances[1])
        case nil: chosen = (balances[1]?.available ?? MicroUSD(0)) >= worstCase ? (user, balances[1]) : (team, balances[0])
        case let other?: throw APIError.invalid("x-wallet", "x-wallet must be team or user, not '\(other.prefix(20))'")
        }
        let available = chosen.1?.available ?? MicroUSD(0)
        guard available >= worstCase else {
            throw APIError(ErrorMapping.paymentRequired, "insufficient_credits",
                           "the \(chosen.0.owner == "team" ? "team" : "user") wallet has \(available.usdString) USD available; this request may cost \(worstCase.usdString) USD")
        }
        return chosen.0
    }

    /// `stream: true`: Server-Sent Events, `data: {"delta": "…"}` per piece of text as the job
    /// produces it, then `event: done` with the answer (usage, cost, wallet) or `event: error`
    /// with `{code, message}`. A client that goes away stops receiving, not the job: it finishes
    /// and is charged for every token the provider produced.
    private func eventStream(_ deltas: AsyncStream<String>, key: String, job: JobRecord, context: AppRequestContext) -> Response {
        let waiters = self.waiters, streams = llm.streams, timeout = llm.configuration.requestDeadline + Self.waitGrace
        let body = ResponseBody { writer in
            defer { streams.close(key) }
            for await delta in deltas {
                var event = ByteBuffer(string: "data: {\"delta\":")
                JSONText.write(delta, to: &event)
                event.writeString("}\n\n")
                do { try await writer.write(event) } catch {
                    waiters.cancel(key)
                    throw error
                }
            }
            try await writer.write(Self.lastEvent(await waiters.wait(key, timeout: timeout), job: job))
            try await writer.finish(nil)
        }
        return Self.eventStreamResponse(body, job: job)
    }

    /// The event stream of a job that ended before this request came: its last event only.
    private func finalEvent(_ ended: JobWaiters.Finished, job: JobRecord) -> Response {
        Self.eventStreamResponse(ResponseBody { writer in
            try await writer.write(Self.lastEvent(ended, job: job))
            try await writer.finish(nil)
        }, job: job)
    }

    private static func eventStreamResponse(_ body: ResponseBody, job: JobRecord) -> Response {
        Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache",
                                        .init("x-job-id")!: job.id.description], body: body)
    }

    /// `event: done` with the answer, `event: error` with what the failure means, or a timeout.
    private static func lastEvent(_ finished: JobWaiters.Finished?, job: JobRecord) -> ByteBuffer {
        var last = ByteBuffer()
        switch finished {
        case let finished?:
            do {
                let answer = try completeAnswer(finished)
                last.writeString("event: done\ndata: ")
                last.writeBytes(try EnvelopeResponse.encoder.encode(answer))
            } catch {
                let failure = ErrorMapping.apiError(for: error, method: .post)
                last.writeString("event: error\ndata: {\"code\":")
                JSONText.write(failure.code, to: &last)
                last.writeString(",\"message\":")
                JSONText.write(failure.message, to: &last)
                last.writeString("}")
            }
        case nil:
            last.writeString("event: error\ndata: {\"code\":\"timeout\",\"message\":\"the completion goes on as job \(job.id)\"}")
        }
        last.writeString("\n\n")
        return last
    }

    private func answer(_ finished: JobWaiters.Finished, context: AppRequestContext) throws -> Response {
        try EnvelopeResponse.success(try Self.completeAnswer(finished), context: context)
    }

    /// The answer of a finished completion job, or the API error its failure means.
    private static func completeAnswer(_ finished: JobWaiters.Finished) throws -> CompleteAnswer {
        switch finished.outcome {
        case .succeeded(let result):
            let output = try JSONBody.decoder.decode(InferenceCompleteJob.Output.self, from: result ?? Data())
            return CompleteAnswer(
                id: finished.job.id.description, text: output.text, model: output.model, provider: output.provider,
                finishReason: output.finishReason,
                usage: .init(inputTokens: output.usage.inputTokens, outputTokens: output.usage.outputTokens),
                costUsd: MicroUSD(output.costMicroUSD).usdString,
                wallet: .init(id: String(output.walletID), balanceUsd: MicroUSD(output.walletBalanceMicroUSD).usdString))
        case .failed(let error), .dead(let error):
            let failure = InferenceFailure.decode(error)
            throw Self.apiError(failure, jobID: finished.job.id)
        case .cancelled:
            throw APIError.conflict("cancelled", "the completion was cancelled")
        case .retry, .snoozed, .released:
            throw APIError.internalError()
        }
    }

    private static func apiError(_ failure: InferenceFailure?, jobID: JobID) -> APIError {
        guard let failure else {
            return APIError(.badGateway, "provider_unavailable", "the completion failed", details: ["jobId": jobID.description])
        }
        switch failure.code {
        case "insufficient_credits", "budget_exceeded": return APIError(ErrorMapping.paymentRequired, failure.code, failure.message)
        case "rate_limited": return .rateLimited(retryAfterSeconds: failure.retryAfterSeconds ?? 1, failure.message)
        case "invalid_request": return .invalidRequest(failure.message)
        default: return APIError(.badGateway, "provider_unavailable", failure.message, details: ["jobId": jobID.description])
        }
    }
}
