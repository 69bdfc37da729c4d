import Hummingbird

/// Refuses a body announced larger than the limit before reading any of it (413). Bodies sent
/// without a length are held to the same limit, and to the read deadline, by `JSONBody`.
struct RequestLimitsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limits: RequestLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength], let bytes = Int(length) {
            let limit = request.method == .post && request.uri.path.hasSuffix(BatchesController.batchesPath) ? limits.maxBatchBodyBytes
                                                                                                    : limits.maxBodyBytes
            if bytes > limit { throw APIError.payloadTooLarge(limit: limit) }
        }
        return try await next(request, context)
    }
}
