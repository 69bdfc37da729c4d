import Foundation
import Hummingbird

/// Tenant routes: requires `Authorization: Bearer <JWT>`, verifies it and puts the caller in
/// the context. Every failure is a 401 that says what was wrong (never which key was tried).
struct JWTAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let verifier: TokenVerifier

    static let maxTokenBytes = 8 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized("a bearer token is required") }
        guard header.utf8.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw APIError.unauthorized("Authorization must be 'Bearer <token>'")
        }
        let token = String(header.dropFirst(7).trimmedOfSpaces)
        guard !token.isEmpty, token.utf8.count <= Self.maxTokenBytes else { throw APIError.unauthorized("the bearer token is malformed") }
        var context = context
        context.principal = try await verifier.verify(token)
        return try await next(request, context)
    }
}

/// After authentication: a request that names a tenant in `x-tenant-id` must name the token's.
struct TenantCheckMiddleware: RouterMiddleware {
    typealias Context = TenantRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let named = request.headers[.tenantID], named != context.principal.tenant {
            throw APIError.forbidden("x-tenant-id does not match the token's tenant")
        }
        return try await next(request, context)
    }
}
