import Foundation
import HTTPTypes
import Hummingbird

/// Signing in and out. The sign-in form posts the internal API key with a token that must
/// equal the one in its own short-lived cookie (so another site cannot post a sign-in for you);
/// a wrong key shows the form again with an error, and the sixth failure from one address
/// within a minute is 429 until the window passes. A right key starts a session: an
/// `HttpOnly; SameSite=Strict; Path=/dashboard` cookie, `Secure` outside development mode.
extension Dashboard {
    func addSignInRoutes(_ group: RouterGroup<AppRequestContext>) {
        group.get("/sign-in") { request, _ in
            if session(of: request) != nil { return DashboardResponse.redirect(Self.base) }
            return signInForm(error: nil)
        }

        group.post("/sign-in") { request, context in
            let address = context.remoteAddress ?? "local"
            if let seconds = throttle.retryAfter(address) {
                return DashboardResponse.plain(.tooManyRequests, "too many failed sign-ins from this address; try again in \(seconds) s",
                                               headers: [.retryAfter: String(seconds)])
            }
            guard let form = await Self.form(request) else { return DashboardResponse.plain(.contentTooLarge, "the form is too large") }
            guard let expected = request.cookies[Self.signInCookie]?.value, Self.tokensMatch(form["csrf"], expected) else {
                return DashboardResponse.plain(.forbidden, "this sign-in form's CSRF token is missing or stale; reload the sign-in page")
            }
            guard let key = form["key"], !key.isEmpty, isInternalKey(key) else {
                throttle.failed(address)
                return signInForm(error: "That is not the internal API key.", status: .unauthorized)
            }
            let session = sessions.create()
            var response = DashboardResponse.redirect(Self.base)
            response.setCookie(cookie(Self.sessionCookie, session.id, maxAge: Int(sessions.lifetime.components.seconds)))
            response.setCookie(cookie(Self.signInCookie, "", maxAge: 0))
            return response
        }

        group.post("/sign-out") { request, _ in
            try await action(request) { session, _ in
                sessions.end(session.id)
                var response = DashboardResponse.redirect(Self.base + "/sign-in")
                response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
                return response
            }
        }
    }

    /// The form, with a fresh sign-in token in its field and its cookie.
    private func signInForm(error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let token = DashboardSessions.randomToken()
        var values: [String: Any] = ["csrf": token]
        if let error { values["error"] = error }
        let content = templates.render("sign-in", values)
        var response = DashboardResponse.html(templates.render("layout", ["title": "Sign in", "content": content, "signedIn": false]),
                                              status: status)
        response.setCookie(cookie(Self.signInCookie, token, maxAge: 600))
        return response
    }
}
