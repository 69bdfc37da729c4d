import Crypto
import Foundation
import Hummingbird

/// Internal routes: require `x-internal-api-key` equal to the configured key. A bearer token is
/// not enough. The comparison is of SHA-256 digests, whose equality is constant-time, so the
/// time taken says nothing about how much of a guess was right.
struct InternalKeyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    private let expected: SHA256.Digest

    init(key: String) {
        expected = SHA256.hash(data: Data(key.utf8))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let given = request.headers[.internalAPIKey] else {
            throw APIError(.unauthorized, "unauthorized", "this internal route needs the x-internal-api-key header")
        }
        guard SHA256.hash(data: Data(given.utf8)) == expected else {
            throw APIError(.unauthorized, "unauthorized", "the internal API key is not valid")
        }
        return try await next(request, context)
    }
}
