import Crypto
import Foundation
import Hummingbird
import Runtime

/// `GET /wallets` (the team wallet and the caller's own user wallet), `GET /wallets/{id}/ledger`
/// (paged, newest first; only those two wallets), and the internal top-up
/// `POST /_internal/wallets/credit`.
struct WalletsController: Sendable {
    let runtime: JobRuntime
    let body: JSONBody

    func addRoutes(to group: RouterGroup<TenantRequestContext>, _ table: inout RouteTable) {
        table.get(HTTPFront.llmPrefix + "/wallets", on: group) { _, context in
            let wallets = try await callerWallets(context.principal)
            return try EnvelopeResponse.success(wallets.map(WalletView.init), context: context)
        }

        table.get(HTTPFront.llmPrefix + "/wallets/{id}/ledger", on: group) { request, context in
            let caller = context.principal
            let paging = try Paging(request, list: "ledger")
            guard let text = context.parameters.get("id"), let id = Int64(text),
                  try await callerWallets(caller).contains(where: { $0.id == id }),
                  let rows = try await runtime.wallets.ledger(walletID: id, tenant: caller.tenant, before: paging.before,
                                                              limit: paging.limit + 1)
            else { throw APIError.notFound("no wallet with this id") }
            return try EnvelopeResponse.list(paging.page(rows, list: "ledger", id: \.id, show: LedgerEntryView.init), context: context)
        }
    }

    func addInternalRoutes(to group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        let idempotent = group.group().add(middleware: IdempotencyMiddleware<AppRequestContext>(store: runtime.idempotency, body: body))
        table.post(HTTPFront.llmPrefix + "/_internal/wallets/credit", on: idempotent) { request, context in
            try await credit(request, context)
        }
    }

    /// The wallets a caller may see: the team's, then their own.
    private func callerWallets(_ caller: Principal) async throws -> [WalletBalance] {
        try await runtime.wallets.balances(of: caller.tenant, owners: [.team(caller.tenant), .user(caller.tenant, caller.subject)])
            .compactMap { $0 }
    }

    struct CreditRequest: ClosedJSONBody {
        var tenantId: String
        var wallet: String
        var amountUsd: String
        var reason: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case tenantId, wallet, amountUsd, reason }
        static let schema = BodySchema(CodingKeys.self, nullable: ["reason"])
    }

    struct CreditResult: Encodable {
        var wallet: WalletView
        /// False when this credit's reference (the Idempotency-Key) was already applied.
        var applied: Bool
    }

    /// Adds credit. With an Idempotency-Key the key is also the ledger reference, so even a
    /// retry after a crash between the credit and the stored answer credits once.
    private func credit(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let input = try await body.decode(CreditRequest.self, from: request)
        // The same form a token's tenantId must have, so no credit goes to a tenant no token can name.
        guard CleanID.isTenant(input.tenantId) else {
            throw APIError.invalid("tenantId", "tenantId must be 1 to \(CleanID.maxTenantBytes) of A-Z a-z 0-9 . _ : -")
        }
        // `system` (and `_…`) run the server's own jobs; no token can name them, so no wallet of theirs is ever spent.
        guard !TokenVerifier.isReserved(input.tenantId) else {
            throw APIError.invalid("tenantId", "tenantId '\(input.tenantId)' is reserved for the server's own jobs and holds no wallets")
        }
        let wallet: WalletKey
        do { wallet = try WalletKey(tenant: input.tenantId, parsing: input.wallet) } catch {
            throw APIError.invalid("wallet", error.message)
        }
        let amount: MicroUSD
        do { amount = try MicroUSD(parsingUSD: input.amountUsd) } catch {
            throw APIError.invalid("amountUsd", "amountUsd: \(error.description)")
        }
        guard amount.value > 0 else { throw APIError.invalid("amountUsd", "amountUsd must be more than 0") }
        if let reason = input.reason, reason.utf8.count > 500 {
            throw APIError.invalid("reason", "reason must be at most 500 bytes")
        }
        // "key:" + the key (≤ 255 bytes with the prefix; longer keys by their hash).
        let reference = request.headers[.idempotencyKey].map { key in
            key.utf8.count <= 251 ? "key:" + key : "key-sha256:" + hexString(SHA256.hash(data: Data(key.utf8)))
        }
        let (balance, applied) = try await runtime.wallets.credit(amount, to: wallet, reference: reference, reason: input.reason)
        return try EnvelopeResponse.success(CreditResult(wallet: WalletView(balance), applied: applied), context: context)
    }
}
