import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import Runtime
import Testing

/// A signed-in dashboard session as a test client holds it: the cookie to send and the CSRF
/// token its forms carry.
struct DashboardLogin {
    var cookie: String
    var csrf: String
}

enum DashboardTest {
    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// The sign-in form's token and its cookie.
    static func signInForm(_ client: any TestClientProtocol) async throws -> (token: String, cookie: String) {
        let form = try await client.executeRequest(uri: "/dashboard/sign-in", method: .get, headers: [:], body: nil)
        #expect(form.status == .ok)
        let html = String(buffer: form.body)
        let token = try #require(field("csrf", in: html))
        let cookie = try #require(cookies(form).first { $0.hasPrefix("sb_signin=") })
        return (token, String(cookie.prefix { $0 != ";" }))
    }

    /// Posts the sign-in form with `key`.
    static func postSignIn(_ client: any TestClientProtocol, key: String) async throws -> TestResponse {
        let (token, cookie) = try await signInForm(client)
        var headers = formType
        headers[.cookie] = cookie
        return try await client.executeRequest(uri: "/dashboard/sign-in", method: .post, headers: headers,
                                               body: ByteBuffer(string: "csrf=\(token)&key=\(escape(key))"))
    }

    /// Signs in with the right key; returns the session cookie and the CSRF token of its pages.
    static func signIn(_ client: any TestClientProtocol) async throws -> DashboardLogin {
        let response = try await postSignIn(client, key: TestKeys.internalKey)
        #expect(response.status == .seeOther)
        let session = try #require(cookies(response).first { $0.hasPrefix("sb_session=") })
        let cookie = String(session.prefix { $0 != ";" })
        let page = try await get(client, "/dashboard/jobs", cookie: cookie)
        let csrf = try #require(field("csrf", in: String(buffer: page.body)))
        return DashboardLogin(cookie: cookie, csrf: csrf)
    }

    static func get(_ client: any TestClientProtocol, _ uri: String, cookie: String?, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let cookie { headers[.cookie] = cookie }
        return try await client.executeRequest(uri: uri, method: .get, headers: headers, body: nil)
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, cookie: String?, form: String) async throws -> TestResponse {
        var headers = formType
        if let cookie { headers[.cookie] = cookie }
        return try await client.executeRequest(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: form))
    }

    static func cookies(_ response: TestResponse) -> [String] { response.headers[values: .setCookie] }

    /// The value of the first hidden input named `name`.
    static func field(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: #"name="\#(name)" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// A job that stays dead until retried: queued for the far future (so no worker takes it), then marked dead.
    static func deadJob(_ runtime: JobRuntime, tenant: String = TestKeys.tenant) async throws -> JobID {
        let job = try await runtime.enqueue(NewJob(kind: NoOpJob.kind, tenant: tenant, runAt: Date().addingTimeInterval(86_400), maxAttempts: 1)).job
        let id = job.id.rawValue
        _ = try await runtime.sqlite!.write { db in
            try db.run("UPDATE jobs SET state = 'dead', attempts = 1, last_error = 'the provider said no', finished_at = 1 WHERE id = \(id)")
        }
        return job.id
    }
}
