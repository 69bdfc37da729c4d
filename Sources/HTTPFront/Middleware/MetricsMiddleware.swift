import Hummingbird

/// Counts every answered request by route template (not raw path: ids would explode the label
/// set), method and status, and records its latency.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: FrontMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.request(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                        status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
