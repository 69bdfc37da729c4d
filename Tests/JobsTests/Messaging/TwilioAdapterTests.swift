import Foundation
@testable import Jobs
import MockProvider
import Testing

@Suite("Twilio-compatible adapter against mock-provider over HTTP")
struct TwilioAdapterTests {
    static let account = "AC" + String(repeating: "0", count: 31) + "1"

    /// `timeout` guards against a hang (a loaded test run can take seconds to answer); the timeout tests pass their own.
    func provider(_ url: String, token: String = "secret", timeout: Duration = .seconds(60), pageSize: Int = 50) -> TwilioProvider {
        TwilioProvider(baseURL: url, contentBaseURL: url, accountSID: Self.account, authToken: token, smsFrom: "+15005550000",
                       whatsAppFrom: "+14155238886", timeout: timeout, templatePageSize: pageSize)
    }

    static let secured = MockProvider.Configuration(messaging: .init(twilioAuthToken: "secret"))

    @Test("an SMS arrives as a form: To, From and a Body with reserved and non-ASCII characters intact")
    func sms() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let text = "Hi Ana & Bo: 100% = \"done\" + ✓ ünïcode\nnext line a=b&c=%20"
            let receipt = try await provider(url).send(OutgoingMessage(id: "msg-sms-1", channel: .sms, to: "+14155550100", body: text))
            #expect(receipt.providerMessageID.hasPrefix("SM") && receipt.providerMessageID.count == 34)
            #expect(receipt.providerStatus == "queued")
            let explicit = try await provider(url).send(OutgoingMessage(id: "msg-sms-2", channel: .sms, to: "+14155550101",
                                                                        from: "+15005550111", body: "second"))
            let report = try await MockMessages.fetch(url)
            try #require(report.count == 2)
            let first = report.messages[0]
            #expect(first.provider == "twilio")
            #expect(first.id == receipt.providerMessageID)
            #expect(first.channel == "sms")
            #expect(first.to == "+14155550100")
            #expect(first.from == "+15005550000")
            #expect(first.body == text)
            #expect(first.template == nil)
            #expect(first.dedupeKey == "msg-sms-1")
            #expect(report.messages[1].from == "+15005550111")
            #expect(report.messages[1].id == explicit.providerMessageID)
        }
    }

    @Test("a WhatsApp template goes as ContentSid + ContentVariables (a JSON object) between whatsapp: addresses, without a Body")
    func whatsAppTemplate() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let twilio = provider(url)
            let approved = try #require(try await twilio.templates(page: nil).templates.first { $0.channel == .whatsapp && $0.approval == "approved" })
            let variables = ["1": "Ana \"A\" & Co", "2": "4242"]
            let receipt = try await twilio.send(OutgoingMessage(
                id: "msg-wa-1", channel: .whatsapp, to: "+14155550100", body: "ignored for a template",
                template: TemplateReference(providerTemplateID: approved.providerTemplateID, variables: variables)))
            #expect(receipt.providerStatus == "queued")
            let delivered = try #require(try await MockMessages.fetch(url).messages.first)
            #expect(delivered.channel == "whatsapp")
            #expect(delivered.to == "whatsapp:+14155550100")
            #expect(delivered.from == "whatsapp:+14155238886")
            #expect(delivered.template?.id == approved.providerTemplateID)
            #expect(delivered.template?.variables == variables)
            #expect(delivered.body == nil)
        }
    }

    @Test("templates come page after page through meta.next_page_url, mapped to channel, approval, category, variables and body")
    func templatesAcrossPages() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let (templates, pages) = try await MockMessages.allTemplates(provider(url, pageSize: 10))
            #expect(pages == 3)
            #expect(templates.count == 23)
            #expect(Set(templates.map(\.providerTemplateID)).count == 23)
            #expect(templates.map(\.name) == (0..<23).map { "template_\($0)" })
            let approved = templates[0], pending = templates[1], rejected = templates[2], sms = templates[3], many = templates[4]
            #expect(approved == ProviderTemplate(providerTemplateID: approved.providerTemplateID, name: "template_0", language: "en",
                                                 channel: .whatsapp, category: "utility", approval: "approved", variables: ["1", "2"],
                                                 body: "Hi {{1}}, your code is {{2}}"))
            #expect(pending.approval == "pending" && pending.category == "marketing" && pending.language == "pt_BR")
            #expect(rejected.approval == "rejected" && rejected.body == "Hi {{1}}, your code is {{2}}")
            #expect(sms.channel == .sms && sms.approval == "unsubmitted" && sms.category == nil)
            #expect(many.variables == (1...11).map(String.init))
            #expect(templates.filter { $0.approval == "approved" }.count == 6)
            #expect(templates.filter { $0.channel == .sms }.count == 5)
        }
    }

    @Test("a cursor is followed on the Content API base only: another host's URL keeps just its path and query")
    func cursorStaysOnContentHost() throws {
        let twilio = TwilioProvider(contentBaseURL: "https://content.example", accountSID: "AC1", authToken: "t")
        #expect(try twilio.templatesURL(nil) == "https://content.example/v1/ContentAndApprovals?PageSize=50")
        #expect(try twilio.templatesURL("https://content.example/v1/ContentAndApprovals?Page=1&PageToken=PT1")
            == "https://content.example/v1/ContentAndApprovals?Page=1&PageToken=PT1")
        #expect(try twilio.templatesURL("https://elsewhere.example/v1/ContentAndApprovals?Page=1&PageToken=PT1")
            == "https://content.example/v1/ContentAndApprovals?Page=1&PageToken=PT1")
        #expect(try twilio.templatesURL("/v1/ContentAndApprovals?PageToken=PT2") == "https://content.example/v1/ContentAndApprovals?PageToken=PT2")
        #expect(throws: MessagingError.self) { try twilio.templatesURL("not a cursor") }
    }

    @Test("numbers that can never receive fail permanently with Twilio's code, and nothing is delivered",
          arguments: [("+15005550001", "21211"), ("+15005550006", "21610"), ("+15005550009", "21614")])
    func permanentFailures(number: String, code: String) async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let error = await MockMessages.failure { try await provider(url).send(OutgoingMessage(id: "m", channel: .sms, to: number, body: "x")) }
            #expect(error?.kind == .permanent)
            #expect(error?.code == code)
            #expect(error?.isRetryable == false)
            let delivered = try await MockMessages.fetch(url).count
            #expect(delivered == 0)
        }
    }

    @Test("429 (code 20429) is rateLimited with the Retry-After wait; 503 is transient; both retryable")
    func retryableFailures() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let limited = await MockMessages.failure {
                try await provider(url).send(OutgoingMessage(id: "m1", channel: .sms, to: "+15005550429", body: "x"))
            }
            #expect(limited?.kind == .rateLimited(retryAfter: .seconds(1)))
            #expect(limited?.code == "20429")
            let down = await MockMessages.failure {
                try await provider(url).send(OutgoingMessage(id: "m2", channel: .whatsapp, to: "+15005550503", body: "x"))
            }
            #expect(down?.kind == .transient)
            #expect(down?.code == "20503")
            #expect(down?.isRetryable == true)
        }
    }

    @Test("no answer in time and no server at all are transient; a wrong auth token is permanent (20003)")
    func transportAndAuth() async throws {
        let slow = MockProvider.Configuration(latency: .seconds(2), messaging: .init(twilioAuthToken: "secret"))
        try await MockProvider.withRunning(slow) { _, url in
            let error = await MockMessages.failure {
                try await provider(url, timeout: .milliseconds(300)).send(OutgoingMessage(id: "m", channel: .sms, to: "+14155550100", body: "x"))
            }
            #expect(error?.kind == .transient)
            #expect(error?.message.contains("did not answer") == true)
        }
        let refused = await MockMessages.failure {
            // AsyncHTTPClient retries a refused connection until the deadline: keep it short.
            try await provider("http://127.0.0.1:1", timeout: .seconds(1)).send(OutgoingMessage(id: "m", channel: .sms, to: "+14155550100", body: "x"))
        }
        #expect(refused?.kind == .transient)
        try await MockProvider.withRunning(Self.secured) { _, url in
            let error = await MockMessages.failure {
                try await provider(url, token: "wrong").send(OutgoingMessage(id: "m", channel: .sms, to: "+14155550100", body: "x"))
            }
            #expect(error?.kind == .permanent)
            #expect(error?.code == "20003")
        }
    }

    @Test("the same message id sent twice is delivered once and both sends get the same receipt; another id is delivered")
    func dedupe() async throws {
        try await MockProvider.withRunning(Self.secured) { _, url in
            let message = OutgoingMessage(id: "msg-dup", channel: .sms, to: "+14155550100", body: "once")
            let first = try await provider(url).send(message)
            let second = try await provider(url).send(message)
            #expect(first == second)
            var report = try await MockMessages.fetch(url)
            #expect(report.count == 1)
            #expect(report.duplicatesSuppressed == 1)
            _ = try await provider(url).send(OutgoingMessage(id: "msg-other", channel: .sms, to: "+14155550100", body: "once"))
            report = try await MockMessages.fetch(url)
            #expect(report.count == 2)
            #expect(report.duplicatesSuppressed == 1)
        }
    }

    @Test("an answer lost after delivery fails transient; the resend gets the first answer and delivers nothing more")
    func lostAnswer() async throws {
        try await MockProvider.withRunning(.init(messaging: .init(twilioAuthToken: "secret", lostAnswerRate: 1))) { _, url in
            let message = OutgoingMessage(id: "msg-lost", channel: .sms, to: "+14155550100", body: "x")
            let lost = await MockMessages.failure { try await provider(url).send(message) }
            #expect(lost?.kind == .transient)
            let receipt = try await provider(url).send(message)
            let report = try await MockMessages.fetch(url)
            #expect(report.count == 1)
            #expect(report.messages.first?.id == receipt.providerMessageID)
            #expect(report.duplicatesSuppressed == 1)
        }
    }

    @Test("messages it cannot send fail permanently before any request: email, no sender, neither body nor template")
    func refusedLocally() async throws {
        let twilio = TwilioProvider(baseURL: "http://127.0.0.1:1", accountSID: "AC1", authToken: "t")
        for message in [OutgoingMessage(id: "1", channel: .email, to: "a@b.test", body: "x"),
                        OutgoingMessage(id: "2", channel: .sms, to: "+14155550100", body: "x"),
                        OutgoingMessage(id: "3", channel: .whatsapp, to: "+14155550100", from: "+14155238886")] {
            let error = await MockMessages.failure { try await twilio.send(message) }
            #expect(error?.kind == .permanent, "\(message.id)")
        }
    }
}
