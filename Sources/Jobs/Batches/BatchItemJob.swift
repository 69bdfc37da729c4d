import Foundation
public import Runtime

/// `inference.batch.item`: one item of a batch. It calls the router like a completion, but
/// pays out of the batch's hold (a charge referenced by the job, so a rerun after a crash
/// never charges twice) instead of reserving. When the providers are at their rate limits it
/// waits a few seconds at most, then gives its worker back (a snooze) until capacity is due.
public struct BatchItemJob: JobHandler {
    public struct Payload: Codable, Sendable, Equatable {
        public var batch: String
        public var customId: String
        public var messages: [ChatMessage]
        public var maxTokens: Int
        public var temperature: Double?
        public var targets: [RouteTarget]
        /// `team` or `user:<sub>`.
        public var wallet: String
        /// The batch's reservation.
        public var hold: Int64
        public var worstCaseMicroUSD: Int64
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

    public init(llm: LLMService, wallets: Wallets) {
        self.llm = llm
        self.wallets = wallets
    }

    public func run(_ payload: Payload, context: JobContext) async throws -> Output {
        let wallet = try WalletKey(tenant: context.tenant, parsing: payload.wallet)
        let request = ProviderRequest(model: "", messages: payload.messages, maxTokens: payload.maxTokens, temperature: payload.temperature)
        let routed: LLMRouter.Routed
        do {
            routed = try await llm.router.complete(request, targets: payload.targets,
                                                   deadline: context.clock.now().addingTimeInterval(Self.permitWait))
        } catch {
            if case .rateLimited(let wait) = error.kind { throw JobFailure.snooze(for: wait, reason: error.message) }
            throw JobFailure.permanent(InferenceFailure(error).encoded)
        }
        let cost = llm.prices.cost(of: routed.response.usage, model: routed.target.model) ?? MicroUSD(payload.worstCaseMicroUSD)
        let charged: MicroUSD
        do {
            charged = try await wallets.charge(cost, againstReservation: payload.hold, on: wallet, reference: "job:\(context.id)")
        } catch let error as WalletError {
            throw JobFailure.permanent(InferenceFailure(code: error.code.rawValue, message: error.message).encoded)
        }
        return Output(text: routed.response.text, provider: routed.target.provider, model: routed.target.model,
                      finishReason: routed.response.finishReason, usage: routed.response.usage, costMicroUSD: charged.value)
    }
}
