import Foundation
import Runtime
@testable import switchboard
import Testing

@Suite("config file: unknown keys at every depth")
struct ConfigFileEntryKeysTests {
    func load(_ json: String) throws -> ConfigFile {
        let path = NSTemporaryDirectory() + "switchboard-entries-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ConfigFile.load(path)
    }

    static let llm = #"""
        "llm": {"providers": [{"id": "sim", "type": "simulated"}, {"id": "o", "type": "openai", %P}],
                "models": {"m": {"maxOutputTokens": 10, "inputPer1K": 1, "outputPer1K": 1%M}},
                "routes": {"chat": [{"provider": "sim", "model": "m"%R}]}, "defaultUseCase": "chat"}
        """#
    static let messaging = #"""
        "messaging": {"providers": [{"id": "s", "type": "simulated"%S}], "routes": {}, "prices": {}}
        """#

    static func file(provider: String = #""baseUrl": "http://127.0.0.1:1""#, model: String = "", route: String = "", messagingProvider: String = "") -> String {
        let llm = Self.llm.replacingOccurrences(of: "%P", with: provider).replacingOccurrences(of: "%M", with: model)
            .replacingOccurrences(of: "%R", with: route)
        return "{\(llm), \(Self.messaging.replacingOccurrences(of: "%S", with: messagingProvider))}"
    }

    @Test("a file with only known keys loads")
    func known() throws {
        _ = try load(Self.file())
    }

    @Test("an unknown key in any section or entry is refused, naming its path", arguments: [
        (file(provider: #""base_url": "http://127.0.0.1:1""#), "llm.providers[1]: unknown key 'base_url'"),
        (file(model: #", "inputPer1k": 2"#), "llm.models.m: unknown key 'inputPer1k'"),
        (file(route: #", "weight": 2"#), "llm.routes.chat[0]: unknown key 'weight'"),
        (file(messagingProvider: #", "limits": {"requestsPerMinute": 60}"#), "messaging.providers[0]: unknown key 'limits'"),
        (#"{"messaging": {"providers": [], "routes": {}, "prices": {}, "sendWindows": {"t1": {"start": "08:00", "end": "21:00", "timezone": "UTC", "tz": "x"}}}}"#,
         "messaging.sendWindows.t1: unknown key 'tz'"),
        (#"{"messaging": {"providers": [], "routes": {}, "prices": {}, "tenants": {"t1": {"route": {}}}}}"#, "messaging.tenants.t1: unknown key 'route'"),
        (#"{"plans": {"gold": {"requestsPerSecond": 5, "burst": 9, "brust": 10}}}"#, "plans.gold: unknown key 'brust'"),
        (#"{"auth": {"isuser": "x"}}"#, "auth: unknown key 'isuser'"),
        (#"{"webhooks": {"allowAll": true}}"#, "webhooks: unknown key 'allowAll'"),
        (#"{"prot": 8080}"#, "unknown key 'prot'"),
    ])
    func refused(json: String, message: String) throws {
        let error = #expect(throws: SettingsError.self) { try load(json) }
        #expect(error?.description.hasSuffix(message) == true, "\(String(describing: error))")
    }
}

@Suite("config file: body budget")
struct BodyBudgetSettingsTests {
    func settings(_ json: String) throws -> ServeSettings {
        let path = NSTemporaryDirectory() + "switchboard-budget-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try ServeSettings(try ServeOptions.parse(["--config", path]), environment: [:])
    }

    @Test("limits.bodyBudgetBytes sets the bound (default 256 MiB); below 1 MiB is refused")
    func configured() throws {
        #expect(try settings("{}").limits.bodyBudget.capacity == 256 << 20)
        #expect(try settings(#"{"limits": {"bodyBudgetBytes": 2097152}}"#).limits.bodyBudget.capacity == 2_097_152)
        #expect(throws: SettingsError.self) { try settings(#"{"limits": {"bodyBudgetBytes": 1000}}"#) }
    }
}

@Suite("config file: schedule interval")
struct ScheduleIntervalSettingsTests {
    @Test("minScheduleIntervalSeconds sets the shortest @every interval (default 60); 0 is refused")
    func configured() throws {
        func settings(_ json: String) throws -> ServeSettings {
            let path = NSTemporaryDirectory() + "switchboard-interval-\(UUID().uuidString).json"
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            return try ServeSettings(try ServeOptions.parse(["--config", path]), environment: [:])
        }
        #expect(try settings("{}").minScheduleIntervalSeconds == 60)
        #expect(try settings(#"{"minScheduleIntervalSeconds": 300}"#).minScheduleIntervalSeconds == 300)
        #expect(throws: SettingsError.self) { try settings(#"{"minScheduleIntervalSeconds": 0}"#) }
    }
}

@Suite("config file: webhooks")
struct WebhookSettingsTests {
    func settings(_ json: String) throws -> ServeSettings {
        let path = NSTemporaryDirectory() + "switchboard-webhooks-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try ServeSettings(try ServeOptions.parse(["--config", path]), environment: [:])
    }

    @Test("development allows http:// and loopback receivers, production neither; the file can allow private networks")
    func policy() throws {
        let dev = try settings("{}").webhooks
        #expect(dev.allowHTTP && dev.allowLoopback && !dev.allowPrivateNetworks)
        let production = try settings(#"{"dev": false, "auth": {"hs256Secret": "0123456789abcdef0123456789abcdef"}}"#).webhooks
        #expect(!production.allowHTTP && !production.allowLoopback && !production.allowPrivateNetworks)
        let inside = try settings(#"""
            {"dev": false, "auth": {"hs256Secret": "0123456789abcdef0123456789abcdef"},
             "webhooks": {"allowPrivateNetworks": true, "lowBalanceThresholdUsd": "12.50", "maxEndpointsPerTenant": 3}}
            """#).webhooks
        #expect(inside.allowPrivateNetworks && inside.lowBalanceThreshold == MicroUSD(12_500_000) && inside.maxEndpointsPerTenant == 3)
        #expect(throws: SettingsError.self) { try settings(#"{"webhooks": {"lowBalanceThresholdUsd": "-1"}}"#) }
        #expect(throws: SettingsError.self) { try settings(#"{"webhooks": {"maxEndpointsPerTenant": 0}}"#) }
        #expect(throws: SettingsError.self) { try settings(#"{"webhooks": {"allowAll": true}}"#) }
    }

    @Test("a SendGrid provider's eventWebhookPublicKey is a known key of messaging.providers[]")
    func eventKeyKnown() throws {
        let path = NSTemporaryDirectory() + "switchboard-sg-\(UUID().uuidString).json"
        try #"""
            {"messaging": {"providers": [{"id": "s", "type": "simulated", "eventWebhookPublicKey": "k"}], "routes": {}, "prices": {}}}
            """#.write(toFile: path, atomically: true, encoding: .utf8)
        _ = try ConfigFile.load(path)
    }
}

@Suite("config file: tenant accounts")
struct TenantAccountSettingsTests {
    func settings(_ tenants: String) throws -> ServeSettings {
        let path = NSTemporaryDirectory() + "switchboard-tenants-\(UUID().uuidString).json"
        try """
            {"messaging": {"providers": [{"id": "shared", "type": "simulated"},
                                         {"id": "acme-twilio", "type": "twilio", "accountSid": "AC1", "secretEnv": "ACME_TOKEN", "smsFrom": "+15550001111"}],
                           "routes": {"sms": "shared", "email": "shared"}, "prices": {"sms": "0.0079", "email": "0.001"},
                           "tenants": \(tenants)}}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return try ServeSettings(try ServeOptions.parse(["--config", path]), environment: ["ACME_TOKEN": "t"])
    }

    @Test("a tenant's routes name configured providers of the channel; its subaccount's number becomes its sender; bad ones are refused")
    func tenants() throws {
        let account = try #require(try settings(#"{"acme": {"routes": {"sms": "acme-twilio"}, "senders": {"email": ["ops@acme.example"]}}}"#)
            .messaging.tenants["acme"])
        #expect(account.routes == [.sms: "acme-twilio"] && account.senders == [.sms: ["+15550001111"], .email: ["ops@acme.example"]])
        for bad in [#"{"acme": {"routes": {"sms": "nope"}}}"#, #"{"acme": {"routes": {"email": "acme-twilio"}}}"#,
                    #"{"acme": {"senders": {"sms": ["555"]}}}"#, #"{"acme": {"senders": {"fax": ["+15550001111"]}}}"#,
                    #"{"acme": {"senders": {"sms": []}}}"#, #"{"acme": {"route": {}}}"#] {
            #expect(throws: SettingsError.self, "\(bad)") { try settings(bad) }
        }
    }
}
