import Hummingbird
import Runtime

/// Right after Hummingbird's `TracingMiddleware`: when a tracer is bootstrapped, the request's
/// trace id (`meta.trace_id`, logs) becomes its span's, so the id a client sees is the one its
/// trace is exported under and the one providers and webhooks receive in `traceparent`. The
/// span continues the client's `traceparent` when it sent a valid one, so that id is unchanged;
/// without one the tracer's new trace id replaces the request id middleware's. With no tracer
/// (the no-op one) nothing changes.
struct TraceIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let traceparent = TraceParent.of(), let traceID = TraceParent.traceID(traceparent) else {
            return try await next(request, context)
        }
        var context = context
        context.traceID = traceID
        return try await next(request, context)
    }
}
