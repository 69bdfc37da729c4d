import Foundation
import HTTPFront
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
