public import Foundation
public import Runtime

/// `inference.complete`: one completion, recorded as a job so it is durable before any provider
/// is called, visible in `GET /jobs`, and finished even if the client goes away. A request runs
/// it inline (`InlineCompletion`); this handler runs it from the queue, which happens only when
/// an inline attempt's process died and the job was recovered. It reserves
/// the worst case on the chosen wallet (reference `job:<id>`, so a rerun after a crash finds the
/// same reservation), calls the router, settles to the actual cost and returns the answer with
/// `costMicroUSD` (which start-up reconciliation reads). Any failure releases the reservation.
public struct InferenceCompleteJob: JobHandler {
    public struct Payload: Codable, Sendable, Equatable {
        public var messages: [ChatMessage]
        public var maxTokens: Int
        public var temperature: Double?
        public var targets: [RouteTarget]
        /// `team` or `user:<sub>`.
        public var wallet: String
        public var worstCaseMicroUSD: Int64
        public var deadline: Date
        /// The request streamed its answer (optional so jobs written before streaming existed
        /// still decode). A run from the queue — a recovery after a crash — does not stream.
        public var stream: Bool?

        public init(messages: [ChatMessage], maxTokens: Int, temperature: Double?, targets: [RouteTarget], wallet: String,
                    worstCaseMicroUSD: Int64, deadline: Date, stream: Bool = false) {
            self.stream = stream
            self.messages = messages
            self.maxTokens = maxTokens
            self.temperature = temperature
            self.targets = targets
            self.wallet = wallet
            self.worstCaseMicroUSD = worstCaseMicroUSD
            self.deadline = deadline
        }
    }

    public struct Output: Codable, Sendable, Equatable {
        public var text: String
        public var provider: String
        public var model: String
        public var finishReason: String
        public var usage: TokenUsage
        public var costMicroUSD: Int64
        public var walletID: Int64
        public var walletBalanceMicroUSD: Int64
    }

    public static let kind = "inference.complete"
    /// The router retries and falls back within the request's deadline; the queue does not retry.
    public var options: JobKindOptions { JobKindOptions(retry: .exponentialJitter(maxAttempts: 1), timeout: .seconds(120)) }

    let llm: LLMService
    let wallets: Wallets

    public init(llm: LLMService, wallets: Wallets) {
        self.llm = llm
        self.wallets = wallets
    }

    public func run(_ payload: Payload, context: JobContext) async throws -> Output {
        let wallet = try WalletKey(tenant: context.tenant, parsing: payload.wallet)
        let reservation: Reservation
        do {
            reservation = try await wallets.reserve(MicroUSD(payload.worstCaseMicroUSD), on: wallet, reference: "job:\(context.id)",
                                                    jobID: context.id)
        } catch let error as WalletError {
            throw JobFailure.permanent(InferenceFailure(code: error.code.rawValue, message: error.message).encoded)
        }
        let routed: LLMRouter.Routed
        do {
            let request = ProviderRequest(model: "", messages: payload.messages, maxTokens: payload.maxTokens,
                                          temperature: payload.temperature)
            routed = try await llm.router.complete(request, targets: payload.targets, deadline: payload.deadline)
        } catch {
            if reservation.state == .settled, reservation.charged > .zero {
                // An earlier run settled before the process died, and this one failed: a failed completion costs nothing.
                _ = try? await wallets.refund(reservation.charged, of: reservation, reference: "job:\(context.id):void",
                                             reason: "the completion failed on its rerun")
            } else {
                _ = try? await wallets.release(reservation)
            }
            throw JobFailure.permanent(InferenceFailure(error).encoded)
        }
        let cost = llm.prices.cost(of: routed.response.usage, model: routed.target.model) ?? MicroUSD(payload.worstCaseMicroUSD)
        let settled = try await wallets.settle(reservation, actualCost: cost)
        let balance = try await wallets.balance(of: wallet)
        return Output(text: routed.response.text, provider: routed.target.provider, model: routed.target.model,
                      finishReason: routed.response.finishReason, usage: routed.response.usage, costMicroUSD: settled.charged.value,
                      walletID: reservation.walletID, walletBalanceMicroUSD: balance?.balance.value ?? 0)
    }
}

/// Why a completion job failed, kept as JSON in the job's last error so the HTTP front can
/// answer with the right status and code.
public struct InferenceFailure: Codable, Sendable, Equatable {
    public var code: String
    public var message: String
    public var retryAfterSeconds: Int?

    public init(code: String, message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    init(_ error: RoutingError) {
        switch error.kind {
        case .rateLimited(let wait):
            self.init(code: "rate_limited", message: error.message,
                      retryAfterSeconds: max(1, Int((wait.timeInterval).rounded(.up))))
        case .invalidRequest: self.init(code: "invalid_request", message: error.message)
        case .unknownModel, .unknownUseCase: self.init(code: "invalid_request", message: error.message)
        case .unavailable: self.init(code: "provider_unavailable", message: error.message)
        }
    }

    var encoded: String { (try? String(decoding: JSONEncoder().encode(self), as: UTF8.self)) ?? message }

    /// The failure a job's last error holds, if it is one of these.
    public static func decode(_ lastError: String?) -> InferenceFailure? {
        guard let lastError else { return nil }
        return try? JSONDecoder().decode(InferenceFailure.self, from: Data(lastError.utf8))
    }
}
