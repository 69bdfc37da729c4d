import Foundation
@testable import Jobs
import MockProvider
import Runtime
import Testing

@Suite("SendGrid-compatible adapter against mock-provider over HTTP")
struct SendGridAdapterTests {
    static let secured = MockProvider.Configuration(messaging: .init(sendGridAPIKey: "SG.key"))

    func provider(_ url: String, key: String = "SG.key", pageSize: Int = 50, limiter: RateLimiter? = nil,
                  clock: any WallClock = SystemClock()) -> SendGridProvider {
        SendGridProvider(baseURL: url, apiKey: key, from: "noreply@switchboard.test", templatePageSize: pageSize, limiter: limiter,
                         clock: clock)
    }

    @Test("a plain email arrives with its recipient, sender, subject and text; the receipt is the X-Message-Id")
    func plain() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let receipt = try await provider(url).send(OutgoingMessage(id: "mail-1", channel: .email, to: "ana@example.test",
                                                                       subject: "Hello \"Ana\"", body: "Line one\nLine two ✓"))
            #expect(receipt.providerMessageID.hasPrefix("SG"))
            #expect(receipt.providerStatus == nil)
            let delivered = try #require(try await MockMessages.fetch(url).messages.first)
            #expect(delivered.provider == "sendgrid")
            #expect(delivered.id == receipt.providerMessageID)
            #expect(delivered.to == "ana@example.test")
            #expect(delivered.from == "noreply@switchboard.test")
            #expect(delivered.subject == "Hello \"Ana\"")
            #expect(delivered.body == "Line one\nLine two ✓")
            #expect(delivered.template == nil)
            #expect(delivered.dedupeKey == "mail-1")
        }
    }

    @Test("a template email goes as template_id with the variables as dynamic_template_data, and no content")
    func template() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let variables = ["first_name": "Ana", "order_id": "A-17"]
            _ = try await provider(url).send(OutgoingMessage(id: "mail-2", channel: .email, to: "ana@example.test", from: "shop@example.test",
                                                             template: TemplateReference(providerTemplateID: "d-123", variables: variables)))
            let delivered = try #require(try await MockMessages.fetch(url).messages.first)
            #expect(delivered.template?.id == "d-123")
            #expect(delivered.template?.variables == variables)
            #expect(delivered.from == "shop@example.test")
            #expect(delivered.body == nil)
        }
    }

    @Test("429 is rateLimited until X-RateLimit-Reset and pauses the limiter; 400 is permanent with the first error; 503 transient")
    func failures() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let started = Date()
            let clock = TestClock(now: started)
            let limiter = RateLimiter(clock: clock)
            let sendGrid = provider(url, limiter: limiter, clock: clock)
            let limited = await MockMessages.failure {
                try await sendGrid.send(OutgoingMessage(id: "a", channel: .email, to: "x@ratelimit.test", subject: "s", body: "b"))
            }
            guard case .rateLimited(let wait?) = limited?.kind else {
                Issue.record("expected rateLimited with a wait, got \(String(describing: limited))")
                return
            }
            // The mock's reset is its wall-clock second rounded up, plus 2; the test clock stands at
            // `started`, so the wait is 2–3 s plus however long the request took on a busy machine.
            let took = Duration.milliseconds(Int64(Date().timeIntervalSince(started) * 1000) + 1)
            #expect(wait >= .seconds(2) && wait <= .seconds(3) + took)
            #expect(limited?.code == "429")
            #expect(limiter.pauseRemaining(key: "messaging:sendgrid") != nil)

            let bounced = await MockMessages.failure {
                try await sendGrid.send(OutgoingMessage(id: "b", channel: .email, to: "x@bounce.test", subject: "s", body: "b"))
            }
            #expect(bounced?.kind == .permanent)
            #expect(bounced?.code == "400")
            #expect(bounced?.message.contains("does not contain a valid address") == true)

            let down = await MockMessages.failure {
                try await sendGrid.send(OutgoingMessage(id: "c", channel: .email, to: "x@fail.test", subject: "s", body: "b"))
            }
            #expect(down?.kind == .transient)
            #expect(down?.code == "503")
            let delivered = try await MockMessages.fetch(url).count
            #expect(delivered == 0)
        }
    }

    @Test("a wrong API key is permanent (401); an email without a template needs a subject, refused before any request")
    func refused() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let error = await MockMessages.failure {
                try await provider(url, key: "SG.wrong").send(OutgoingMessage(id: "a", channel: .email, to: "a@b.test", subject: "s", body: "b"))
            }
            #expect(error?.kind == .permanent)
            #expect(error?.code == "401")
        }
        let offline = provider("http://127.0.0.1:1")
        for message in [OutgoingMessage(id: "1", channel: .email, to: "a@b.test", body: "no subject"),
                        OutgoingMessage(id: "2", channel: .sms, to: "+14155550100", subject: "s", body: "x")] {
            let error = await MockMessages.failure { try await offline.send(message) }
            #expect(error?.kind == .permanent, "\(message.id)")
        }
    }

    @Test("X-RateLimit-Remaining: 0 pauses the limiter until X-RateLimit-Reset before SendGrid refuses; the next send is rateLimited")
    func rateLimitHeaders() async throws {
        let config = MockProvider.Configuration(messaging: .init(sendGridRateLimit: 2, sendGridAPIKey: "SG.key"))
        try await MockProvider.withRunning(config) { _, url in
            let started = Date()
            let clock = TestClock(now: started)
            let limiter = RateLimiter(clock: clock)
            let sendGrid = provider(url, limiter: limiter, clock: clock)
            func message(_ id: String) -> OutgoingMessage {
                OutgoingMessage(id: id, channel: .email, to: "a@example.test", subject: "s", body: "b")
            }
            _ = try await sendGrid.send(message("1"))
            #expect(limiter.pauseRemaining(key: "messaging:sendgrid") == nil)
            _ = try await sendGrid.send(message("2"))
            let pause = try #require(limiter.pauseRemaining(key: "messaging:sendgrid"))
            // The mock's window is 60 s from its first call, its reset a whole epoch second; the test
            // clock stands at `started`, so the wait is 60–61 s plus however long the calls took.
            let took = Duration.milliseconds(Int64(Date().timeIntervalSince(started) * 1000) + 1)
            #expect(pause > .seconds(50) && pause <= .seconds(61) + took)
            let refused = await MockMessages.failure { try await sendGrid.send(message("3")) }
            guard case .rateLimited(let wait?) = refused?.kind else {
                Issue.record("expected rateLimited with a wait, got \(String(describing: refused))")
                return
            }
            #expect(wait > .seconds(50) && wait <= .seconds(61) + took)
            let delivered = try await MockMessages.fetch(url).count
            #expect(delivered == 2)
        }
    }

    @Test("the same message id sent twice is delivered once (Idempotency-Key) with the same X-Message-Id")
    func dedupe() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let message = OutgoingMessage(id: "mail-dup", channel: .email, to: "a@example.test", subject: "s", body: "b")
            let first = try await provider(url).send(message)
            let second = try await provider(url).send(message)
            #expect(first == second)
            #expect(first.providerMessageID.hasPrefix("SG"))  // the provider's id, not our fallback
            let report = try await MockMessages.fetch(url)
            #expect(report.count == 1)
            #expect(report.duplicatesSuppressed == 1)
        }
    }

    @Test("dynamic templates come page after page by page_token; variables from the active version, sorted and unique")
    func templatesAcrossPages() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let (templates, pages) = try await MockMessages.allTemplates(provider(url, pageSize: 5))
            #expect(pages == 3)
            #expect(templates.count == 12)
            #expect(Set(templates.map(\.providerTemplateID)).count == 12)
            let live = templates[1], draftOnly = templates[3]
            #expect(live == ProviderTemplate(
                providerTemplateID: live.providerTemplateID, name: "email_template_1", language: "en", channel: .email, category: nil,
                approval: "approved", variables: ["coupon", "first_name", "order_id", "order_link", "ship_date"],
                body: "Hi {{ first_name }}, order {{order_id}} ships {{{ship_date}}}. {{#if coupon}}Use {{coupon}}.{{/if}}"))
            #expect(draftOnly.approval == "unsubmitted" && draftOnly.variables.isEmpty && draftOnly.body == nil)
            #expect(templates[0].language == "de" && templates[5].language == "de")
            #expect(templates.filter { $0.approval == "approved" }.count == 9)
        }
    }

    @Test("placeholders: double and triple braces, spaces, dotted paths; not helpers, else, this or comments")
    func placeholders() {
        let names = TemplatePlaceholders.names(in: [
            "{{b}} {{{a}}} {{ c }} {{user.first_name}} {{b}}",
            "{{#each items}}{{this}}{{/each}} {{#if x}}y{{else}}z{{/if}} {{! note }} {{> partial}} {{{ d-e }}}",
        ])
        #expect(names == ["a", "b", "c", "d-e", "user.first_name"])
    }
}

@Suite("mock-provider messaging faults")
struct MockMessagingFaultTests {
    @Test("the configured error and rate-limit rates apply to the messaging endpoints too")
    func configuredFaults() async throws {
        try await MockProvider.withRunning(.init(errorRate: 1)) { _, url in
            let twilio = TwilioProvider(baseURL: url, accountSID: "AC1", authToken: "t", smsFrom: "+15005550000")
            let down = await MockMessages.failure { try await twilio.send(OutgoingMessage(id: "1", channel: .sms, to: "+14155550100", body: "x")) }
            #expect(down?.kind == .transient)
            let sendGrid = SendGridProvider(baseURL: url, apiKey: "k", from: "a@b.test")
            let alsoDown = await MockMessages.failure {
                try await sendGrid.send(OutgoingMessage(id: "2", channel: .email, to: "c@d.test", subject: "s", body: "x"))
            }
            #expect(alsoDown?.kind == .transient)
        }
        try await MockProvider.withRunning(.init(rateLimitRate: 1)) { _, url in
            let twilio = TwilioProvider(baseURL: url, accountSID: "AC1", authToken: "t", smsFrom: "+15005550000")
            let limited = await MockMessages.failure { try await twilio.send(OutgoingMessage(id: "1", channel: .sms, to: "+14155550100", body: "x")) }
            #expect(limited?.kind == .rateLimited(retryAfter: .seconds(1)))
            let delivered = try await MockMessages.fetch(url).count
            #expect(delivered == 0)
        }
    }
}
