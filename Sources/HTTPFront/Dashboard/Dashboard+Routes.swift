import Foundation
import HTTPTypes
import Hummingbird
import Runtime

/// The dashboard's routes. Every page and form needs a signed-in session (else a redirect to
/// the sign-in form); every POST needs the session's CSRF token (else 403). A tenant's JWT is
/// never looked at here, so it opens nothing.
extension Dashboard {
    func addRoutes(to router: Router<AppRequestContext>) {
        let group = router.group(RouterPath(Self.base))
        addSignInRoutes(group)
        group.get("/assets/{name}") { _, context in asset(context.parameters.get("name") ?? "") }
        group.get { request, _ in try await page(request) { try await overview($0) } }
        group.get("/events") { request, _ in await page(request) { events($0) } }
        addJobRoutes(group)
        group.get("/batches") { request, _ in try await page(request) { try await batchesPage(request, $0) } }
        group.get("/messages") { request, _ in try await page(request) { try await messagesPage(request, $0) } }
        group.get("/messages/{id}") { request, context in
            try await page(request) { try await messagePage(context.parameters.get("id") ?? "", tenant: request.uri.queryParameters["tenant"].map(String.init), $0) }
        }
        group.get("/wallets") { request, _ in try await page(request) { try await walletsPage(request, $0) } }
        group.get("/providers") { request, _ in await page(request) { providersPage($0) } }
        addScheduleRoutes(group)
    }

    /// Runs `body` for a signed-in request; redirects to the sign-in form otherwise.
    func page(_ request: Request, _ body: (DashboardSessions.Session) async throws -> Response) async rethrows -> Response {
        guard let session = session(of: request) else { return DashboardResponse.redirect(Self.base + "/sign-in") }
        return try await body(session)
    }

    /// A form post: a session and its CSRF token (field `csrf`), then `body` with the form's fields.
    func action(_ request: Request, _ body: (DashboardSessions.Session, [String: String]) async throws -> Response) async throws -> Response {
        guard let session = session(of: request) else { return DashboardResponse.redirect(Self.base + "/sign-in") }
        guard let form = await Self.form(request) else { return DashboardResponse.plain(.contentTooLarge, "the form is too large") }
        guard Self.tokensMatch(form["csrf"], session.csrf) else {
            return DashboardResponse.plain(.forbidden, "this form's CSRF token is missing or not this session's; reload the page and try again")
        }
        return try await body(session, form)
    }

    /// The fields of an `application/x-www-form-urlencoded` body of at most 16 KiB; nil when larger.
    static func form(_ request: Request) async -> [String: String]? {
        guard let buffer = try? await request.body.collect(upTo: 16 * 1024) else { return nil }
        let text = String(buffer: buffer)
        return (try? URLEncodedFormDecoder().decode([String: String].self, from: text)) ?? [:]
    }

    /// A page inside the layout (navigation, sign-out form with the CSRF token).
    func render(_ template: String, title: String, section: String, session: DashboardSessions.Session,
                _ values: [String: Any] = [:], status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values["csrf"] = session.csrf
        let content = templates.render(template, values)
        let nav = Self.sections.map { ["path": Self.base + $0.path, "name": $0.name, "current": $0.name == section] as [String: Any] }
        return DashboardResponse.html(templates.render("layout", [
            "title": title, "content": content, "nav": nav, "csrf": session.csrf, "signedIn": true,
        ]), status: status)
    }

    static let sections: [(name: String, path: String)] = [
        ("Overview", ""), ("Jobs", "/jobs"), ("Batches", "/batches"), ("Messages", "/messages"),
        ("Wallets", "/wallets"), ("Providers", "/providers"), ("Schedules", "/schedules"),
    ]

    private func asset(_ name: String) -> Response {
        guard let found = templates.assets[name] else { return DashboardResponse.plain(.notFound, "no such asset") }
        var headers = DashboardResponse.securityHeaders
        headers[.contentType] = found.contentType
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: found.bytes)))
    }

    /// A `before` cursor of a dashboard list (an id), or nil.
    static func before(_ request: Request) -> Int64? {
        request.uri.queryParameters["before"].flatMap { Int64(String($0)) }
    }

    /// `limit` from 1 to 100, 25 by default.
    static func limit(_ request: Request) -> Int {
        request.uri.queryParameters["limit"].flatMap { Int(String($0)) }.map { min(max($0, 1), 100) } ?? 25
    }

    /// A query parameter, trimmed; nil when absent or empty.
    static func filter(_ request: Request, _ name: String) -> String? {
        guard let text = request.uri.queryParameters[Substring(name)].map({ String($0).trimmingCharacters(in: .whitespaces) }), !text.isEmpty else {
            return nil
        }
        return String(text.prefix(200))
    }
}
