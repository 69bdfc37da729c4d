import HTTPTypes
import Hummingbird

/// Records which methods each path answers while routes are registered. A path with GET also
/// answers HEAD (the GET's status and headers, no body); every path answers OPTIONS with 204
/// and `Allow`; any other method on a known path is a 405 `method_not_allowed` with `Allow`
/// (instead of the router's 404).
struct RouteTable {
    private var methods: [String: [HTTPRequest.Method]] = [:]
    private var order: [String] = []
    /// Every route as "METHOD path", for the OpenAPI test (HEAD, implied by GET, left out).
    var routes: [String] {
        order.flatMap { path in methods[path, default: []].filter { $0 != .head }.map { "\($0.rawValue) \(path)" } }
    }

    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    mutating func get(_ path: String, on group: RouterGroup<AppRequestContext>, _ handler: @escaping Handler) {
        on(.get, path, group, handler)
    }

    mutating func post(_ path: String, on group: RouterGroup<AppRequestContext>, _ handler: @escaping Handler) {
        on(.post, path, group, handler)
    }

    mutating func put(_ path: String, on group: RouterGroup<AppRequestContext>, _ handler: @escaping Handler) {
        on(.put, path, group, handler)
    }

    mutating func delete(_ path: String, on group: RouterGroup<AppRequestContext>, _ handler: @escaping Handler) {
        on(.delete, path, group, handler)
    }

    private mutating func on(_ method: HTTPRequest.Method, _ path: String, _ group: RouterGroup<AppRequestContext>,
                             _ handler: @escaping Handler) {
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

    func addMethodNotAllowed(to router: Router<AppRequestContext>) {
        let all: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .trace]
        for path in order {
            let allowed = methods[path, default: []] + [.options]
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            router.on(RouterPath(path), method: .options) { _, _ in
                Response(status: .noContent, headers: [.allow: allow])
            }
            for method in all where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw APIError.methodNotAllowed(request.method, allowed: allowed)
                }
            }
        }
    }
}
