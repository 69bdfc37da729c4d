import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import Runtime
import Testing

/// The dashboard's security rules over plain HTTP: no page without a session (a tenant's JWT
/// opens nothing), the sign-in form's errors and rate limit, the cookie's attributes, CSRF on
/// every form, expiry and sign-out, and HTML escaping of what tenants sent.
@Suite struct DashboardSecurityTests {
    static let pages = ["/dashboard", "/dashboard/jobs", "/dashboard/batches", "/dashboard/messages", "/dashboard/wallets",
                        "/dashboard/providers", "/dashboard/schedules", "/dashboard/events", "/dashboard/jobs/1"]

    @Test("without a session every page redirects to the sign-in form, a tenant JWT included")
    func noSessionRedirects() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            for page in Self.pages {
                let response = try await DashboardTest.get(client, page, cookie: nil, headers: [.authorization: "Bearer \(token)"])
                #expect(response.status == .seeOther, "\(page)")
                #expect(response.headers[.location] == "/dashboard/sign-in", "\(page)")
                let forged = try await DashboardTest.get(client, page, cookie: "sb_session=not-a-session")
                #expect(forged.status == .seeOther, "\(page)")
            }
            let key = try await DashboardTest.get(client, "/dashboard/jobs", cookie: nil,
                                                  headers: [HTTPField.Name("x-internal-api-key")!: TestKeys.internalKey])
            #expect(key.status == .seeOther, "the API key header is for the API; the dashboard wants its form")
            let post = try await DashboardTest.post(client, "/dashboard/jobs/1/retry", cookie: nil, form: "csrf=x")
            #expect(post.status == .seeOther)
        }
    }

    @Test("a right key starts a session with an HttpOnly, SameSite=Strict, Secure cookie on /dashboard")
    func signInCookie() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let response = try await DashboardTest.postSignIn(client, key: TestKeys.internalKey)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/dashboard")
            let cookie = try #require(DashboardTest.cookies(response).first { $0.hasPrefix("sb_session=") })
            let attributes = Set(cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(attributes.contains("HttpOnly"))
            #expect(attributes.contains("SameSite=Strict"))
            #expect(attributes.contains("Path=/dashboard"))
            #expect(attributes.contains("Secure"))
            let value = String(cookie.dropFirst("sb_session=".count).prefix { $0 != ";" })
            #expect(value.count >= 43, "256 random bits, base64url")
            let page = try await DashboardTest.get(client, "/dashboard", cookie: "sb_session=\(value)")
            #expect(page.status == .ok)
            #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
        }
    }

    @Test("development mode leaves Secure off (plain http on loopback)")
    func developmentCookie() async throws {
        let harness = try await Harness.make(developmentMode: true)
        try await harness.test { client in
            let response = try await DashboardTest.postSignIn(client, key: TestKeys.internalKey)
            let cookie = try #require(DashboardTest.cookies(response).first { $0.hasPrefix("sb_session=") })
            #expect(!cookie.contains("Secure"))
            #expect(cookie.contains("HttpOnly"))
        }
    }

    @Test("a wrong key shows the form again with an error; the sixth failure in a minute is 429 until the window passes")
    func wrongKeyAndRateLimit() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            for _ in 1...5 {
                let response = try await DashboardTest.postSignIn(client, key: "not-the-key")
                #expect(response.status == .unauthorized)
                let html = String(buffer: response.body)
                #expect(html.contains("That is not the internal API key."))
                #expect(html.contains(#"name="key""#))
                #expect(!DashboardTest.cookies(response).contains { $0.hasPrefix("sb_session=") })
            }
            let limited = try await DashboardTest.postSignIn(client, key: TestKeys.internalKey)
            #expect(limited.status == .tooManyRequests, "even the right key waits while the address is limited")
            #expect(limited.headers[.retryAfter] != nil)
            harness.clock.advance(by: .seconds(61))
            let again = try await DashboardTest.postSignIn(client, key: TestKeys.internalKey)
            #expect(again.status == .seeOther)
        }
    }

    @Test("a sign-in without its form's token is 403")
    func signInCSRF() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let (token, _) = try await DashboardTest.signInForm(client)
            let noCookie = try await DashboardTest.post(client, "/dashboard/sign-in", cookie: nil,
                                                        form: "csrf=\(token)&key=\(TestKeys.internalKey)")
            #expect(noCookie.status == .forbidden)
            let wrong = try await DashboardTest.post(client, "/dashboard/sign-in", cookie: "sb_signin=other",
                                                     form: "csrf=\(token)&key=\(TestKeys.internalKey)")
            #expect(wrong.status == .forbidden)
        }
    }

    @Test("every form needs the session's CSRF token: without it 403 and nothing changes; with it the job is retried")
    func formsNeedCSRF() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let login = try await DashboardTest.signIn(client)
            let id = try await DashboardTest.deadJob(harness.runtime)
            for form in ["", "csrf=", "csrf=forged-token"] {
                let response = try await DashboardTest.post(client, "/dashboard/jobs/\(id)/retry", cookie: login.cookie, form: form)
                #expect(response.status == .forbidden, "form '\(form)'")
            }
            #expect(try await harness.runtime.job(id)?.state == .dead)
            for path in ["/dashboard/jobs/\(id)/cancel", "/dashboard/schedules/outbox.relay/run", "/dashboard/sign-out"] {
                let response = try await DashboardTest.post(client, path, cookie: login.cookie, form: "csrf=forged")
                #expect(response.status == .forbidden, "\(path)")
            }
            let retried = try await DashboardTest.post(client, "/dashboard/jobs/\(id)/retry", cookie: login.cookie,
                                                       form: "csrf=\(login.csrf)&back=%2Fdashboard%2Fjobs%3Fstate%3Ddead")
            #expect(retried.status == .seeOther)
            #expect(retried.headers[.location] == "/dashboard/jobs?state=dead")
            let job = try #require(try await harness.runtime.job(id))
            #expect([.queued, .running, .succeeded].contains(job.state), "queued again (and the woken workers may have run it)")
            #expect(job.maxAttempts == 2, "one attempt more than it used")
            let offsite = try await DashboardTest.post(client, "/dashboard/jobs/\(id)/cancel", cookie: login.cookie,
                                                       form: "csrf=\(login.csrf)&back=https%3A%2F%2Fevil.example")
            #expect(offsite.headers[.location] == "/dashboard/jobs/\(id)", "only dashboard paths are returned to")
        }
    }

    @Test("sessions end at sign-out and after twelve hours")
    func sessionsEnd() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let first = try await DashboardTest.signIn(client)
            let out = try await DashboardTest.post(client, "/dashboard/sign-out", cookie: first.cookie, form: "csrf=\(first.csrf)")
            #expect(out.status == .seeOther)
            #expect(try await DashboardTest.get(client, "/dashboard", cookie: first.cookie).status == .seeOther)

            let second = try await DashboardTest.signIn(client)
            harness.clock.advance(by: .seconds(11 * 3_600))
            #expect(try await DashboardTest.get(client, "/dashboard", cookie: second.cookie).status == .ok)
            harness.clock.advance(by: .seconds(3_601))
            #expect(try await DashboardTest.get(client, "/dashboard", cookie: second.cookie).status == .seeOther)
        }
    }

    @Test("a tenant id and a message body with <script> render as text")
    func escaping() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let hostile = "<script>alert(1)</script>"
        try await harness.test { client in
            _ = try await DashboardTest.deadJob(harness.runtime, tenant: hostile)
            try await client.credit(tenant: TestKeys.tenant, amount: "5.00")
            let sent = try await client.send(.post, "/cpaas/v1/messages", token: token,
                                             json: #"{"channel":"sms","to":"+14155550100","body":"\#(hostile) & \"quotes\""}"#)
            #expect(sent.status == .accepted)
            let login = try await DashboardTest.signIn(client)
            for page in ["/dashboard/jobs", "/dashboard/jobs?tenant=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/dashboard/messages"] {
                let html = String(buffer: try await DashboardTest.get(client, page, cookie: login.cookie).body)
                #expect(!html.contains(hostile), "\(page)")
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(page)")
            }
            let messages = String(buffer: try await DashboardTest.get(client, "/dashboard/messages", cookie: login.cookie).body)
            #expect(messages.contains("&amp; &quot;quotes&quot;"))
        }
    }

    @Test("lists page with a cursor and a filter that matches nothing recent still moves on")
    func paging() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let login = try await DashboardTest.signIn(client)
            var ids: [JobID] = []
            for _ in 0..<3 { ids.append(try await DashboardTest.deadJob(harness.runtime)) }
            let first = String(buffer: try await DashboardTest.get(client, "/dashboard/jobs?state=dead&limit=2", cookie: login.cookie).body)
            #expect(first.contains("data-job=\"\(ids[2])\""))
            #expect(first.contains("data-job=\"\(ids[1])\""))
            #expect(!first.contains("data-job=\"\(ids[0])\""))
            let next = try #require(first.range(of: #"href="/dashboard/jobs?before="#).map { first[$0.lowerBound...].dropFirst(6).prefix { $0 != "\"" } })
            let second = String(buffer: try await DashboardTest.get(client, String(next).replacingOccurrences(of: "&amp;", with: "&"),
                                                                    cookie: login.cookie).body)
            #expect(second.contains("data-job=\"\(ids[0])\""))
        }
    }
}
