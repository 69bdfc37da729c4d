import Foundation
public import Runtime

/// `inference.batch.item`: one item of a batch. It calls the router like a completion, but
/// pays out of the batch's hold (a charge referenced by the job, so a rerun after a crash
/// never charges twice) instead of reserving. When the providers are at their rate limits it
/// waits a few seconds at most, then gives its worker back (a snooze) until capacity is due.
///
/// The payload is the item as the client sent it (validated) plus its worst case, nothing the
/// batch shares: its wallet and hold are read once per batch (`BatchDirectory`), and its route
/// is resolved when it runs. At 50,000 items a batch, JSON is most of an item's cost.
public struct BatchItemJob: JobHandler {
    public struct Payload: Codable, Sendable, Equatable {
        public var customId: String
        public var prompt: String?
        public var messages: [ChatMessage]?
        public var maxTokens: Int
        public var useCase: String?
        public var model: String?
        public var temperature: Double?
        public var worstCaseMicroUSD: Int64

        init(_ item: BatchItem) {
            customId = item.customID
            if item.messages.count == 1, item.messages[0].role == .user { prompt = item.messages[0].content } else { messages = item.messages }
            maxTokens = item.maxTokens
            useCase = item.useCase
            model = item.model
            temperature = item.temperature
            worstCaseMicroUSD = item.worstCase.value
        }

        var chat: [ChatMessage] { messages ?? [ChatMessage(role: .user, content: prompt ?? "")] }
    }

    public struct Output: Codable, Sendable, Equatable {
        public var text: String
        public var provider: String
        public var model: String
        public var finishReason: String
        public var usage: TokenUsage
        public var costMicroUSD: Int64
    }

    public static let kind = "inference.batch.item"
    /// The router retries and falls back; the queue reruns an item only after a crash.
    public var options: JobKindOptions { JobKindOptions(retry: .exponentialJitter(maxAttempts: 1), timeout: .seconds(120)) }

    /// How long an item waits for rate-limit capacity while holding its worker.
    static let permitWait: TimeInterval = 5

    let llm: LLMService
    let wallets: Wallets
    let directory: BatchDirectory

    init(llm: LLMService, wallets: Wallets, directory: BatchDirectory) {
        self.llm = llm
        self.wallets = wallets
        self.directory = directory
    }

    public func run(_ payload: Payload, context: JobContext) async throws -> Output {
        guard let batchID = context.batchID, let batch = try await directory.funding(of: batchID) else {
            throw JobFailure.permanent(InferenceFailure(code: "invalid_request", message: "the item's batch is gone").encoded)
        }
        let targets: [RouteTarget]
        do { targets = try llm.configuration.routing.targets(useCase: payload.useCase, model: payload.model) } catch {
            throw JobFailure.permanent(InferenceFailure(error).encoded)
        }
        let request = ProviderRequest(model: "", messages: payload.chat, maxTokens: payload.maxTokens, temperature: payload.temperature)
        let routed: LLMRouter.Routed
        do {
            routed = try await llm.router.complete(request, targets: targets, deadline: context.clock.now().addingTimeInterval(Self.permitWait))
        } catch {
            if case .rateLimited(let wait) = error.kind { throw JobFailure.snooze(for: wait, reason: error.message) }
            // The lease lapsed while this ran (the process was paused): the failure may be the
            // pause's doing and another worker may own the item and its charge now. Touch no
            // money; the pool requeues the item without using an attempt.
            if context.leaseLapsed { throw error }
            // An earlier run of this item may have been charged before the process died: a failed item costs nothing.
            _ = try? await wallets.voidCharge(againstReservation: batch.holdID, on: batch.wallet, reference: "job:\(context.id)")
            throw JobFailure.permanent(InferenceFailure(error).encoded)
        }
        let cost = llm.prices.cost(of: routed.response.usage, model: routed.target.model) ?? MicroUSD(payload.worstCaseMicroUSD)
        let charged: MicroUSD
        do {
            charged = try await wallets.charge(cost, againstReservation: batch.holdID, on: batch.wallet, reference: "job:\(context.id)")
        } catch let error as WalletError {
            throw JobFailure.permanent(InferenceFailure(code: error.code.rawValue, message: error.message).encoded)
        }
        return Output(text: routed.response.text, provider: routed.target.provider, model: routed.target.model,
                      finishReason: routed.response.finishReason, usage: routed.response.usage, costMicroUSD: charged.value)
    }
}
