import Foundation
import Hummingbird
import Logging

/// Turns every thrown error into an envelope response with a stable `error.code`: API errors
/// as they are, Hummingbird's and the runtime's errors mapped (`ErrorMapping`), anything else a
/// logged 500 that shows no internals. Used twice: near the top of the chain for errors before
/// authentication, and after it so error envelopes carry the caller's tenant.
struct ErrorEnvelopeMiddleware<Context: APIRequestContext>: RouterMiddleware {

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = ErrorMapping.apiError(for: error, method: request.method)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: [
                    "request_id": "\(context.requestID)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))",
                ])
            }
            return EnvelopeResponse.failure(apiError, context: context)
        }
    }
}
