import Foundation
@testable import Jobs
import MockProvider
import Runtime
import Testing

@Suite("Template sync")
struct TemplateSyncTests {
    static func template(_ name: String, _ channel: Channel = .whatsapp, approval: String = "approved", variables: [String] = ["1"],
                         body: String = "Hi {{1}}") -> ProviderTemplate {
        ProviderTemplate(providerTemplateID: "T-" + name, name: name, language: "en", channel: channel, category: "utility",
                         approval: approval, variables: variables, body: body)
    }

    @Test("create, update, remove across pages; a provider error mid-listing keeps what was synced and removes nothing", arguments: BackendKind.allCases)
    func lifecycle(_ kind: BackendKind) async throws {
        let harness = try await MessagingHarness.open(kind)
        let sync = TemplateSync(hub: harness.hub, backend: harness.backend)
        let store = TemplateStore(backend: harness.backend)
        harness.provider.setTemplatePages([
            .success(TemplatePage(templates: [Self.template("a"), Self.template("b")], next: "1")),
            .success(TemplatePage(templates: [Self.template("c", .sms, variables: ["code"])], next: nil)),
        ])
        var report = try await sync.sync()
        #expect(report.created == 3 && report.updated == 0 && report.removed == 0 && report.failures.isEmpty)
        let again = try await sync.sync()
        #expect(again.created == 0 && again.updated == 0)  // nothing changed: nothing written

        // b's approval changed, c disappeared, d is new.
        harness.provider.setTemplatePages([
            .success(TemplatePage(templates: [Self.template("a"), Self.template("b", approval: "paused")], next: "1")),
            .success(TemplatePage(templates: [Self.template("d")], next: nil)),
        ])
        report = try await sync.sync()
        #expect(report.created == 1 && report.updated == 1 && report.removed == 1)
        let all = try await store.templates(channel: nil, includeRemoved: true, after: nil, limit: 100)
        #expect(all.first { $0.name == "b" }?.status == "paused")
        #expect(all.first { $0.name == "c" }?.status == "removed" && all.first { $0.name == "c" }?.removedAt != nil)
        #expect(try await store.templates(channel: nil, includeRemoved: false, after: nil, limit: 100).map(\.name).sorted() == ["a", "b", "d"])

        // The first page arrives (with e new), the second fails: e is kept, nothing is marked removed.
        harness.provider.setTemplatePages([
            .success(TemplatePage(templates: [Self.template("e")], next: "1")),
            .failure(MessagingError(.transient, code: "503", "provider down")),
        ])
        report = try await sync.sync()
        #expect(report.created == 1 && report.removed == 0 && report.failures["scripted"] != nil)
        #expect(try await store.templates(channel: nil, includeRemoved: false, after: nil, limit: 100).map(\.name).sorted() == ["a", "b", "d", "e"])

        // c comes back: restored, counted as an update.
        harness.provider.setTemplatePages([.success(TemplatePage(templates: [Self.template("a"), Self.template("b", approval: "paused"),
                                                                               Self.template("c", .sms, variables: ["code"]),
                                                                               Self.template("d"), Self.template("e")], next: nil))])
        report = try await sync.sync()
        #expect(report.updated == 1 && report.removed == 0 && report.created == 0)
        await harness.close()
    }

    @Test("the Twilio adapter's listing, page after page from mock-provider, lands whole in the store")
    func twilioOverHTTP() async throws {
        try await MockProvider.withRunning(MockProvider.Configuration(messaging: .init(twilioTemplates: 23, twilioAuthToken: "secret"))) { _, url in
            let harness = try await MessagingHarness.open()
            let twilio = TwilioProvider(baseURL: url, contentBaseURL: url, accountSID: TwilioAdapterTests.account, authToken: "secret",
                                        smsFrom: "+15005550000", whatsAppFrom: "+14155238886", templatePageSize: 5)
            let hub = MessagingHub(configuration: harness.hub.configuration, providers: [twilio], clock: harness.clock)
            let report = try await TemplateSync(hub: hub, backend: harness.backend).sync()
            #expect(report.created == 23 && report.failures.isEmpty)
            let stored = try await TemplateStore(backend: harness.backend).templates(channel: nil, includeRemoved: false, after: nil, limit: 100)
            #expect(stored.count == 23 && Set(stored.map(\.provider)) == ["twilio"])
            await harness.close()
        }
    }
}
