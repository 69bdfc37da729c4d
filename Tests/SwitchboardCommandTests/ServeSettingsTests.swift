import Foundation
import HTTPFront
import Jobs
import Runtime
@testable import switchboard
import Testing

@Suite("serve settings")
struct ServeSettingsTests {
    func options(_ arguments: [String]) throws -> ServeOptions { try ServeOptions.parse(arguments) }

    func configFile(_ json: String) throws -> String {
        let path = NSTemporaryDirectory() + "switchboard-config-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("embedded defaults: development mode on 127.0.0.1:8080 with ./data")
    func defaults() throws {
        let settings = try ServeSettings(try options([]), environment: [:])
        #expect(settings.host == "127.0.0.1" && settings.port == 8080 && settings.dataDir == "./data")
        #expect(settings.dev && settings.metrics && settings.sync == .normal && settings.internalAPIKey == nil)
    }

    @Test("public-base-url: an http(s) URL with a host, its trailing slash dropped; anything else refused")
    func publicBaseURL() throws {
        #expect(try ServeSettings(try options(["--public-base-url", "https://sb.example.com/"]), environment: [:]).publicBaseURL
                == "https://sb.example.com")
        #expect(try ServeSettings(try options([]), environment: ["SWITCHBOARD_PUBLIC_BASE_URL": "http://127.0.0.1:8080"]).publicBaseURL
                == "http://127.0.0.1:8080")
        for bad in ["sb.example.com", "ftp://sb.example.com", "https://", "https://sb.example.com/?x=1"] {
            #expect(throws: SettingsError.self, "\(bad)") { try ServeSettings(try options(["--public-base-url", bad]), environment: [:]) }
        }
    }

    @Test("database: SQLite by default; a postgres:// URL from the flag, SWITCHBOARD_DATABASE_URL or the file; anything else refused")
    func database() throws {
        #expect(try ServeSettings(try options([]), environment: [:]).database == nil)
        let file = try configFile(#"{"database": "postgres://file@db.internal:5433/sb"}"#)
        let fromFile = try #require(try ServeSettings(try options(["--config", file]), environment: [:]).database)
        #expect(fromFile.host == "db.internal" && fromFile.port == 5433 && fromFile.username == "file" && fromFile.database == "sb")
        let fromEnvironment = try ServeSettings(try options(["--config", file]), environment: ["SWITCHBOARD_DATABASE_URL": "postgres://env@h/e"])
        #expect(fromEnvironment.database?.username == "env" && fromEnvironment.database?.port == 5432)
        let fromFlag = try ServeSettings(try options(["--database", "postgres://flag@h:1/f?sessions=3"]),
                                         environment: ["SWITCHBOARD_DATABASE_URL": "postgres://env@h/e"])
        #expect(fromFlag.database?.username == "flag" && fromFlag.database?.sessions == 3)
        for bad in ["sqlite:///tmp/x", "postgres://h", "postgres://u@h:99999/d", "postgres://u@h/d?sslmode=allow", "postgres://u@h/d?sslrootcert=", "./data"] {
            #expect(throws: SettingsError.self, "\(bad)") { try ServeSettings(try options(["--database", bad]), environment: [:]) }
        }
    }

    @Test("otlp-endpoint: flag over environment over the file's otlpEndpoint, none by default; not an http(s) URL is refused")
    func otlpEndpoint() throws {
        #expect(try ServeSettings(try options([]), environment: [:]).otlpEndpoint == nil)
        let file = try configFile(#"{"otlpEndpoint": "http://from-file:4318"}"#)
        #expect(try ServeSettings(try options(["--config", file]), environment: [:]).otlpEndpoint == "http://from-file:4318")
        #expect(try ServeSettings(try options(["--config", file]), environment: ["SWITCHBOARD_OTLP_ENDPOINT": "http://env:4318/"])
                    .otlpEndpoint == "http://env:4318")
        #expect(try ServeSettings(try options(["--config", file, "--otlp-endpoint", "https://flag:4318"]),
                                  environment: ["SWITCHBOARD_OTLP_ENDPOINT": "http://env:4318"]).otlpEndpoint == "https://flag:4318")
        for bad in ["collector:4318", "grpc://collector:4317", "http://", "http://collector:4318/?x=1"] {
            #expect(throws: SettingsError.self, "\(bad)") { try ServeSettings(try options(["--otlp-endpoint", bad]), environment: [:]) }
        }
    }

    @Test("a flag wins over the environment, which wins over the config file, which wins over the default")
    func precedence() throws {
        let file = try configFile(#"{"port": 7000, "host": "0.0.0.0", "dataDir": "/from/file", "maxInFlight": 64, "plans": {"gold": {"requestsPerSecond": 5, "burst": 9}}}"#)
        let environment = ["SWITCHBOARD_PORT": "7100", "SWITCHBOARD_DATA_DIR": "/from/env", "SWITCHBOARD_DEV": "false",
                           "SWITCHBOARD_JWT_HS256_SECRET": "an-hs256-secret-of-32-bytes-or-more"]
        let settings = try ServeSettings(try options(["--config", file, "--port", "7200"]), environment: environment)
        #expect(settings.port == 7200)
        #expect(settings.dataDir == "/from/env")
        #expect(settings.host == "0.0.0.0")
        #expect(settings.maxInFlight == 64)
        #expect(!settings.dev)
        #expect(settings.auth.hs256Secret == "an-hs256-secret-of-32-bytes-or-more")
        #expect(settings.plans.limit(for: "gold") == .init(requestsPerSecond: 5, burst: 9))
        #expect(settings.plans.limit(for: "professional") == PlanLimits.defaultPlans["professional"])
    }

    @Test("bad settings are refused with a message naming them", arguments: [
        (["--port", "70000"], [String: String](), "port"),
        (["--no-dev"], [:], "token key"),
        (["--internal-api-key", "short"], [:], "internal API key"),
        ([], ["SWITCHBOARD_PORT": "eighty"], "SWITCHBOARD_PORT"),
        ([], ["SWITCHBOARD_DEV": "maybe"], "SWITCHBOARD_DEV"),
        (["--sync", "sometimes"], [:], "sync"),
    ])
    func refused(arguments: [String], environment: [String: String], mention: String) throws {
        let error = #expect(throws: SettingsError.self) { try ServeSettings(try options(arguments), environment: environment) }
        #expect(error?.description.contains(mention) == true, "\(String(describing: error))")
    }

    @Test("development mode is the default only while no production token key is configured")
    func devDefault() throws {
        let file = try configFile(#"{"auth": {"jwksUrl": "https://auth.example/jwks.json"}}"#)
        #expect(try !ServeSettings(try options(["--config", file]), environment: [:]).dev)
        #expect(try ServeSettings(try options(["--config", file, "--dev"]), environment: [:]).dev)
        #expect(try ServeSettings(try options([]), environment: [:]).dev)
    }

    @Test("a config file with an unknown key or a wrong type is refused")
    func badConfigFile() throws {
        for json in [#"{"prot": 8080}"#, #"{"auth": {"isuser": "x"}}"#, #"{"port": "8080"}"#, "not json",
                     #"{"plans": {"gold": {"requestsPerSecond": 5, "burst": 9, "brust": 10}}}"#] {
            let file = try configFile(json)
            #expect(throws: SettingsError.self, "\(json)") { try ServeSettings(try options(["--config", file]), environment: [:]) }
        }
    }
}

@Suite("serve settings: llm section")
struct LLMSettingsTests {
    func settings(_ json: String, environment: [String: String] = [:]) throws -> ServeSettings {
        let path = NSTemporaryDirectory() + "switchboard-llm-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try ServeSettings(try ServeOptions.parse(["--config", path]), environment: environment)
    }

    static let valid = #"""
        {"dev": true, "llm": {
          "providers": [{"id": "openai", "type": "openai", "baseUrl": "http://127.0.0.1:8081", "apiKeyEnv": "OPENAI_KEY",
                         "requestsPerMinute": 500, "tokensPerMinute": 200000},
                        {"id": "sim", "type": "simulated", "latencyMs": 5}],
          "models": {"gpt-4o-mini": {"maxOutputTokens": 16384, "inputPer1K": 150, "outputPer1K": 600},
                     "sim-small": {"maxOutputTokens": 4096, "inputPer1K": 1, "outputPer1K": 2}},
          "routes": {"chat": [{"provider": "openai", "model": "gpt-4o-mini"}, {"provider": "sim", "model": "sim-small"}]},
          "defaultUseCase": "chat"}}
        """#

    @Test("providers, priced models and routes replace the development ones; the API key comes from the environment")
    func valid() throws {
        let settings = try settings(Self.valid, environment: ["OPENAI_KEY": "sk-test"])
        #expect(settings.providers.map(\.id) == ["openai", "sim"])
        #expect(settings.providers[0].kind == .openAICompatible(baseURL: "http://127.0.0.1:8081", apiKey: "sk-test", timeout: .seconds(30)))
        #expect(settings.providers[0].requestsPerMinute == 500)
        #expect(try settings.llm.routing.targets(useCase: nil, model: nil).map(\.provider) == ["openai", "sim"])
        #expect(settings.llm.prices.cost(of: TokenUsage(inputTokens: 1_000, outputTokens: 1_000), model: "gpt-4o-mini") == MicroUSD(750))
    }

    @Test("an llm section that cannot work is refused with what is wrong")
    func refused() throws {
        let cases: [(String, [String: String], String)] = [
            (Self.valid, [:], "OPENAI_KEY"),
            (Self.valid.replacingOccurrences(of: #""provider": "sim""#, with: #""provider": "ghost""#), ["OPENAI_KEY": "k"], "ghost"),
            (Self.valid.replacingOccurrences(of: #""model": "sim-small""#, with: #""model": "free-lunch""#), ["OPENAI_KEY": "k"], "free-lunch"),
            (Self.valid.replacingOccurrences(of: #""defaultUseCase": "chat""#, with: #""defaultUseCase": "poetry""#), ["OPENAI_KEY": "k"], "poetry"),
            (Self.valid.replacingOccurrences(of: #""type": "openai""#, with: #""type": "carrier-pigeon""#), ["OPENAI_KEY": "k"], "type"),
        ]
        for (json, environment, mention) in cases {
            let error = #expect(throws: SettingsError.self) { try settings(json, environment: environment) }
            #expect(error?.description.contains(mention) == true, "\(String(describing: error))")
        }
    }
}

@Suite("serve settings: messaging section")
struct MessagingSettingsTests {
    func settings(_ json: String, environment: [String: String] = [:]) throws -> ServeSettings {
        let path = NSTemporaryDirectory() + "switchboard-messaging-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try ServeSettings(try ServeOptions.parse(["--config", path]), environment: environment)
    }

    static let valid = #"""
        {"dev": true, "messaging": {
          "providers": [{"id": "twilio", "type": "twilio", "baseUrl": "http://127.0.0.1:8081", "contentBaseUrl": "http://127.0.0.1:8081",
                         "accountSid": "AC123", "secretEnv": "TWILIO_TOKEN", "smsFrom": "+15005550000", "requestsPerMinute": 600},
                        {"id": "sendgrid", "type": "sendgrid", "secretEnv": "SENDGRID_KEY", "emailFrom": "noreply@example.com"}],
          "routes": {"sms": "twilio", "whatsapp": "twilio", "email": "sendgrid"},
          "prices": {"sms": "0.0079", "whatsapp": "0.005", "email": "0.001"}}}
        """#
    static let secrets = ["TWILIO_TOKEN": "t", "SENDGRID_KEY": "k"]

    @Test("providers, routes and prices replace the simulated ones; secrets come from the environment")
    func valid() throws {
        let settings = try settings(Self.valid, environment: Self.secrets)
        #expect(settings.messagingProviders.map(\.id) == ["twilio", "sendgrid"])
        #expect(settings.messaging.routes == [.sms: "twilio", .whatsapp: "twilio", .email: "sendgrid"])
        #expect(settings.messaging.price(.sms, segments: 2) == MicroUSD(15_800))
        #expect(settings.messaging.requestsPerMinute == ["twilio": 600])
        #expect(settings.messaging.defaultSenders[.email] == "noreply@example.com")
        #expect(settings.messagingHub(clock: SystemClock()).statuses().map(\.id) == ["sendgrid", "twilio"])
    }

    @Test("a messaging section that cannot work is refused with what is wrong")
    func refused() throws {
        let cases: [(String, [String: String], String)] = [
            (Self.valid, ["TWILIO_TOKEN": "t"], "secretEnv"),
            (Self.valid.replacingOccurrences(of: #""email": "sendgrid""#, with: #""email": "twilio""#), Self.secrets, "does not send email"),
            (Self.valid.replacingOccurrences(of: #""sms": "0.0079""#, with: #""sms": "-1""#), Self.secrets, "prices.sms"),
            (Self.valid.replacingOccurrences(of: #", "email": "0.001""#, with: ""), Self.secrets, "email is routed but has no price"),
            (Self.valid.replacingOccurrences(of: #""+15005550000""#, with: #""5550000""#), Self.secrets, "smsFrom"),
            (Self.valid.replacingOccurrences(of: #""type": "sendgrid""#, with: #""type": "fax""#), Self.secrets, "type"),
            (Self.valid.replacingOccurrences(of: #""routes""#, with: #""rootes""#), Self.secrets, "rootes"),
        ]
        for (json, environment, mention) in cases {
            let error = #expect(throws: SettingsError.self) { try settings(json, environment: environment) }
            #expect(error?.description.contains(mention) == true, "\(String(describing: error))")
        }
    }
}
