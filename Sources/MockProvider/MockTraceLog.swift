import Hummingbird
import Synchronization

/// The `traceparent` headers the mock received, in order (the last 1,000), so tests check that
/// calls carry the caller's trace. `GET /_mock/traceparents` lists them too.
final class MockTraceLog: Sendable {
    private let received = Mutex<[String]>([])

    func record(_ traceparent: String) {
        received.withLock { list in
            list.append(traceparent)
            if list.count > 1_000 { list.removeFirst(list.count - 1_000) }
        }
    }

    var all: [String] { received.withLock { $0 } }
}

/// Records every request's `traceparent` (the mock's own `/_mock` routes aside).
struct MockTraceMiddleware<Context: RequestContext>: RouterMiddleware {
    let log: MockTraceLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !request.uri.path.hasPrefix("/_mock"), let value = request.headers[.init("traceparent")!] { log.record(value) }
        return try await next(request, context)
    }
}
