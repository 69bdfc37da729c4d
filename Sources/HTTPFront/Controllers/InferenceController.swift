import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Jobs
import Runtime

/// `POST /llm-orch/v1/inference/complete`: validates, prices the worst case, checks the budget
/// header and the wallet, then runs the completion as an `inference.complete` job and answers
/// when it ends. Nothing is reserved and no provider is called for a request refused here.
struct InferenceController: Sendable {
    let runtime: JobRuntime
    let llm: LLMService
    let body: JSONBody

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

    func addRoutes(to group: RouterGroup<TenantRequestContext>, _ table: inout RouteTable) {
        // The mark outlasts the longest a completion can run: its deadline, then a minute.
        let idempotent = group.group().add(middleware: IdempotencyMiddleware(
            store: runtime.idempotency, body: body, lease: llm.configuration.requestDeadline + .seconds(60)))
        table.post(HTTPFront.llmPrefix + "/inference/complete", on: idempotent) { request, context in
            try await complete(request, context)
        }
    }

    private func complete(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let caller = context.principal
        let input = try await body.decode(CompleteRequest.self, from: request)
        let priced = try llm.priced(prompt: input.prompt, messages: input.messages, maxTokens: input.maxTokens, useCase: input.useCase,
                                    model: input.model, temperature: input.temperature)
        let worstCase = priced.worstCase
        if let ceiling = try request.budgetCeiling(), worstCase > ceiling {
            throw APIError(ErrorMapping.paymentRequired, "budget_exceeded",
                           "the worst-case cost \(worstCase.usdString) USD is above the budget of \(ceiling.usdString) USD")
        }
        let wallet = try await llm.chooseWallet(tenant: caller.tenant, user: caller.subject, worstCase: worstCase,
                                                forced: request.headers[.wallet], in: runtime.wallets)
        let streaming = input.stream == true
        let payload = InferenceCompleteJob.Payload(
            messages: priced.messages, maxTokens: input.maxTokens, temperature: input.temperature, targets: priced.targets, wallet: wallet.owner,
            worstCaseMicroUSD: worstCase.value,
            deadline: runtime.clock.now().addingTimeInterval(llm.configuration.requestDeadline.timeInterval), stream: streaming)
        // The same caller's key finds the job its first request made, should that request's
        // process have died or its stored answer be gone: a retry never runs (or charges) twice.
        let uniqueKey = IdempotencyScope.key(of: request, caller: caller).map { "idem:" + hexString(SHA256.hash(data: Data($0.utf8))) }
        let inline = InlineCompletion(runtime: runtime, llm: llm)
        switch try await inline.start(tenant: caller.tenant, wallet: wallet, payload: payload, uniqueKey: uniqueKey) {
        case .answered(let answer):
            return streaming ? Self.eventStream(job: answer.job) { _ throws(CompletionError) in answer }
                             : try EnvelopeResponse.success(Self.completeAnswer(answer), context: context)
        case .ready(let started):
            if streaming { return Self.eventStream(job: started.job) { onDelta throws(CompletionError) in try await inline.run(started, onDelta: onDelta) } }
            return try EnvelopeResponse.success(Self.completeAnswer(try await inline.run(started, onDelta: nil)), context: context)
        }
    }

    /// `stream: true`: Server-Sent Events, `data: {"delta": "…"}` per piece of text as the
    /// provider produces it, then `event: done` with the answer (usage, cost, wallet) or
    /// `event: error` with `{code, message}`. A client that goes away stops receiving, not the
    /// completion: it finishes and is charged for every token the provider produced.
    private static func eventStream(
        job: JobRecord,
        _ run: @escaping @Sendable (_ onDelta: @escaping @Sendable (String) async -> Void) async throws(CompletionError) -> InlineCompletion.Answer
    ) -> Response {
        let body = ResponseBody { writer in
            let (deltas, sink) = AsyncStream.makeStream(of: String.self)
            async let ended = { () async -> Result<InlineCompletion.Answer, CompletionError> in
                defer { sink.finish() }
                do throws(CompletionError) { return .success(try await run { sink.yield($0) }) } catch { return .failure(error) }
            }()
            var listening = true
            for await delta in deltas where listening {
                var event = ByteBuffer(string: "data: {\"delta\":")
                JSONText.write(delta, to: &event)
                event.writeString("}\n\n")
                do { try await writer.write(event) } catch { listening = false }
            }
            let last = Self.lastEvent(await ended)
            guard listening else { return }
            try await writer.write(last)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache",
                                               .init("x-job-id")!: job.id.description], body: body)
    }

    /// `event: done` with the answer, or `event: error` with what the failure means.
    private static func lastEvent(_ ended: Result<InlineCompletion.Answer, CompletionError>) -> ByteBuffer {
        var last = ByteBuffer()
        do {
            let answer = completeAnswer(try ended.get())
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
        last.writeString("\n\n")
        return last
    }

    private static func completeAnswer(_ answer: InlineCompletion.Answer) -> CompleteAnswer {
        let output = answer.output
        return CompleteAnswer(
            id: answer.job.id.description, text: output.text, model: output.model, provider: output.provider,
            finishReason: output.finishReason,
            usage: .init(inputTokens: output.usage.inputTokens, outputTokens: output.usage.outputTokens),
            costUsd: MicroUSD(output.costMicroUSD).usdString,
            wallet: .init(id: String(output.walletID), balanceUsd: MicroUSD(output.walletBalanceMicroUSD).usdString))
    }
}
