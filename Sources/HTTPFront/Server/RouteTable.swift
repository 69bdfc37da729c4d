import HTTPTypes
import Hummingbird

/// Records which methods each path answers while routes are registered. A path with GET also
/// answers HEAD (the GET's status and headers, no body); every path answers OPTIONS with 204
/// and `Allow`; any other method on a known path is a 405 `method_not_allowed` with `Allow`
/// (instead of the router's 404).
struct RouteTable {
    private var methods: [String: [HTTPRequest.Method]] = [:]
    private var order: [String] = []

    typealias Handler<Context> = @Sendable (Request, Context) async throws -> Response

    mutating func get<Context>(_ path: String, on group: RouterGroup<Context>, _ handler: @escaping Handler<Context>) {
        on(.get, path, group, handler)
    }

    mutating func post<Context>(_ path: String, on group: RouterGroup<Context>, _ handler: @escaping Handler<Context>) {
        on(.post, path, group, handler)
    }

    mutating func put<Context>(_ path: String, on group: RouterGroup<Context>, _ handler: @escaping Handler<Context>) {
        on(.put, path, group, handler)
    }

    mutating func delete<Context>(_ path: String, on group: RouterGroup<Context>, _ handler: @escaping Handler<Context>) {
        on(.delete, path, group, handler)
    }

    private mutating func on<Context>(_ method: HTTPRequest.Method, _ path: String, _ group: RouterGroup<Context>,
                                      _ handler: @escaping Handler<Context>) {
        group.on(RouterPath(path), method: method, use: handler)
        if methods[path] == nil { order.append(path) }
        methods[path, default: []].append(method)
        if method == .get {
            // HEAD runs the GET behind the same middleware (auth included) and drops the body.
            group.on(RouterPath(path), method: .head) { request, context in
                var response = try await handler(request, context)
                if let length = response.body.contentLength { response.headers[.contentLength] = String(length) }
                response.body = ResponseBody()
                return response
            }
            methods[path, default: []].append(.head)
        }
    }

    /// Every method a known path does not answer, each to be a 405 with the path's `Allow`.
    var methodNotAllowed: [(path: String, method: HTTPRequest.Method, allowed: [HTTPRequest.Method])] {
        let all: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .trace]
        return order.flatMap { path in
            let allowed = methods[path, default: []] + [.options]
            return all.filter { !allowed.contains($0) }.map { (path, $0, allowed) }
        }
    }

    func addMethodNotAllowed(to router: Router<AppRequestContext>) {
        for path in order {
            let allow = (methods[path, default: []] + [.options]).map(\.rawValue).joined(separator: ", ")
            router.on(RouterPath(path), method: .options) { _, _ in
                Response(status: .noContent, headers: [.allow: allow])
            }
        }
        for (path, method, allowed) in methodNotAllowed {
            router.on(RouterPath(path), method: method) { request, _ -> Response in
                throw APIError.methodNotAllowed(request.method, allowed: allowed)
            }
        }
    }
}
