public import Runtime

/// A field of a completion request that cannot be used, named as the client sent it.
public struct CompletionFieldError: Error, Sendable, Equatable {
    /// The request field (`prompt`, `messages`, `maxTokens`, `model`, `useCase`, `temperature`, `x-wallet`).
    public let field: String
    public let message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// A completion checked against the routes and priced at its worst case, ready to reserve.
public struct PricedCompletion: Sendable {
    public let messages: [ChatMessage]
    public let targets: [RouteTarget]
    public let worstCase: MicroUSD
}

/// What a completion must satisfy before anything is reserved or sent (the same for a single
/// completion and each batch item), and which wallet pays for it.
extension LLMService {
    public static let maxMessages = 1_000

    /// Validates one completion (prompt or messages, temperature, route, `maxTokens` within the
    /// route's models) and prices its worst case.
    public func priced(prompt: String?, messages: [ChatMessage]?, maxTokens: Int, useCase: String?, model: String?,
                       temperature: Double?) throws(CompletionFieldError) -> PricedCompletion {
        let messages = try Self.messages(prompt: prompt, messages: messages)
        if let temperature, !(0...2).contains(temperature) {
            throw CompletionFieldError("temperature", "temperature must be from 0 to 2")
        }
        let targets: [RouteTarget]
        do { targets = try configuration.routing.targets(useCase: useCase, model: model) } catch {
            throw CompletionFieldError(error.kind == .unknownModel ? "model" : "useCase", error.message)
        }
        let limit = maxOutputTokens(targets: targets)
        guard (1...max(limit, 1)).contains(maxTokens) else {
            throw CompletionFieldError("maxTokens", "maxTokens must be from 1 to \(limit) for this route")
        }
        guard let worstCase = worstCase(inputTokens: TokenEstimate.inputTokens(messages), maxTokens: maxTokens, targets: targets)
        else { throw CompletionFieldError("model", "the route has a model without a price") }
        return PricedCompletion(messages: messages, targets: targets, worstCase: worstCase)
    }

    /// `prompt` or `messages`, exactly one, with some text.
    private static func messages(prompt: String?, messages: [ChatMessage]?) throws(CompletionFieldError) -> [ChatMessage] {
        switch (prompt, messages) {
        case (let prompt?, nil):
            guard !prompt.isEmpty else { throw CompletionFieldError("prompt", "prompt must not be empty") }
            return [ChatMessage(role: .user, content: prompt)]
        case (nil, let messages?):
            guard !messages.isEmpty, messages.count <= maxMessages else {
                throw CompletionFieldError("messages", "messages must hold 1 to \(maxMessages) messages")
            }
            guard messages.contains(where: { !$0.content.isEmpty }) else {
                throw CompletionFieldError("messages", "at least one message must have content")
            }
            return messages
        case (nil, nil):
            throw CompletionFieldError("prompt", "send prompt or messages")
        case (_?, _?):
            throw CompletionFieldError("messages", "send prompt or messages, not both")
        }
    }

    /// The wallet that pays: `forced` (`x-wallet: team|user`) names one; otherwise the caller's
    /// user wallet when it exists and covers the worst case, else the team wallet. Either must
    /// cover it (`WalletError.insufficientCredits` otherwise).
    public func chooseWallet(tenant: String, user: String, worstCase: MicroUSD, forced: String?, in wallets: Wallets) async throws -> WalletKey {
        let team = WalletKey.team(tenant)
        let user = WalletKey.user(tenant, user)
        let balances = try await wallets.balances(of: tenant, owners: [team, user])
        let chosen: (WalletKey, WalletBalance?)
        switch forced {
        case "team": chosen = (team, balances[0])
        case "user": chosen = (user, balances[1])
        case nil: chosen = (balances[1]?.available ?? MicroUSD(0)) >= worstCase ? (user, balances[1]) : (team, balances[0])
        case let other?: throw CompletionFieldError("x-wallet", "x-wallet must be team or user, not '\(other.prefix(20))'")
        }
        let available = chosen.1?.available ?? MicroUSD(0)
        guard available >= worstCase else {
            throw WalletError(.insufficientCredits,
                              "the \(chosen.0.owner == "team" ? "team" : "user") wallet has \(available.usdString) USD available; this request may cost \(worstCase.usdString) USD")
        }
        return chosen.0
    }
}
