import HTTPTypes
import Hummingbird

/// Records which methods each path answers while routes are registered, then makes every other
/// method on a known path a 405 `method_not_allowed` with `Allow` (instead of the router's 404).
struct RouteTable {
    private var methods: [String: [HTTPRequest.Method]] = [:]
    private var order: [String] = []
    /// Every route as "METHOD path", for the OpenAPI test.
    var routes: [String] { order.flatMap { path in methods[path, default: []].map { "\($0.rawValue) \(path)" } } }

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
    }

    func addMethodNotAllowed(to router: Router<AppRequestContext>) {
        let all: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
        for path in order {
            let allowed = methods[path, default: []]
            for method in all where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw APIError.methodNotAllowed(request.method, allowed: allowed)
                }
            }
        }
    }
}
