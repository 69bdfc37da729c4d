import Foundation
@testable import Jobs
import Runtime
import Testing

@Suite("Per-tenant provider accounts and senders")
struct TenantAccountTests {
    @Test("a tenant's own account sends its SMS, from its own senders only; other tenants use the shared one; templates are per account")
    func ownAccount() async throws {
        let shared = ScriptedMessagingProvider(id: "shared"), own = ScriptedMessagingProvider(id: "acme-sub")
        let base = try await MessagingHarness.open()
        var configuration = MessagingConfiguration.development
        configuration.routes = [.sms: "shared", .email: "shared", .whatsapp: "shared"]
        configuration.tenants["acme"] = TenantAccount(routes: [.sms: "acme-sub"], senders: [.sms: ["+15550001111", "+15550002222"]])
        let hub = MessagingHub(configuration: configuration, providers: [shared, own], clock: base.clock)
        let messages = Messages(hub: hub, backend: base.backend, wallets: base.wallets)
        try await base.fund("acme")
        try await base.fund("globex")

        let (mine, _) = try await messages.accept(Messages.Request(channel: .sms, to: "+14155550100", body: "hi"), tenant: "acme", idempotencyKey: nil)
        #expect(mine.provider == "acme-sub" && mine.from == "+15550001111")
        let (second, _) = try await messages.accept(Messages.Request(channel: .sms, to: "+14155550100", from: "+15550002222", body: "hi"),
                                                    tenant: "acme", idempotencyKey: nil)
        #expect(second.from == "+15550002222")
        let error = await #expect(throws: Messages.Invalid.self) {
            _ = try await messages.accept(Messages.Request(channel: .sms, to: "+14155550100", from: "+15550000000", body: "hi"), tenant: "acme",
                                          idempotencyKey: nil)
        }
        #expect(error?.field == "from")
        let (email, _) = try await messages.accept(Messages.Request(channel: .email, to: "ann@example.com", subject: "s", body: "hi"), tenant: "acme",
                                                   idempotencyKey: nil)
        #expect(email.provider == "shared", "a channel the tenant does not route uses the shared provider")
        let (theirs, _) = try await messages.accept(Messages.Request(channel: .sms, to: "+14155550100", from: "+15550000000", body: "hi"),
                                                    tenant: "globex", idempotencyKey: nil)
        #expect(theirs.provider == "shared")

        _ = try await OutboxRelay(hub: hub, backend: base.backend, wallets: base.wallets, owner: "r").drain()
        #expect(Set(own.calls.map(\.id)) == [mine.id, second.id])
        #expect(Set(shared.calls.map(\.id)) == [email.id, theirs.id])

        let now = base.clock.now().millisecondsSince1970
        _ = try await base.backend.write { db in
            for (provider, name) in [("shared", "shared_sms"), ("acme-sub", "acme_sms")] {
                try db.run("""
                    INSERT INTO templates (provider, provider_template_id, name, language, channel, status, variables, body, synced_at, created_at, updated_at)
                    VALUES (\(provider), \(name), \(name), 'en', 'sms', 'approved', '[]', 'hello', \(now), \(now), \(now))
                    """)
            }
        }
        let acmeTemplates = try await messages.templates(tenant: "acme", channel: nil, includeRemoved: false, after: nil, limit: 10)
        let globexTemplates = try await messages.templates(tenant: "globex", channel: nil, includeRemoved: false, after: nil, limit: 10)
        #expect(acmeTemplates.map(\.name) == ["acme_sms"] && globexTemplates.map(\.name) == ["shared_sms"])
        let sharedTemplate = try #require(globexTemplates.first?.id)
        let refused = await #expect(throws: Messages.Invalid.self) {
            _ = try await messages.accept(Messages.Request(channel: .sms, to: "+14155550100", templateID: sharedTemplate, variables: [:]),
                                          tenant: "acme", idempotencyKey: nil)
        }
        #expect(refused?.field == "templateId", "another account's template")
        #expect(hub.statuses(tenant: "acme").map(\.id) == ["acme-sub", "shared"] && hub.statuses(tenant: "globex").map(\.id) == ["shared"])
        await base.close()
    }
}
