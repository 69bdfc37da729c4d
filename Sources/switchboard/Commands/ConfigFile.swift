import Foundation
import HTTPFront

/// The optional JSON config file of `serve` (`--config`): every flag, plus what has no flag
/// (HS256 secret, request limits, plan limits). Unknown keys are refused, so a typo is not
/// silently ignored.
struct ConfigFile: Decodable {
    var host: String?
    var port: Int?
    var dataDir: String?
    var internalApiKey: String?
    var dev: Bool?
    var sync: String?
    var maxInFlight: Int?
    var shutdownGrace: Int?
    /// The shortest `@every` interval a schedule may have, in seconds (default 60).
    var minScheduleIntervalSeconds: Int?
    var metrics: Bool?
    var publicBaseUrl: String?
    /// OTLP/HTTP collector base URL (`http://host:4318`): traces and metrics are exported there.
    var otlpEndpoint: String?
    var auth: Auth?
    var limits: Limits?
    var plans: [String: PlanLimits.Limit]?
    var llm: LLM?
    var messaging: Messaging?
    var webhooks: Webhooks?

    /// `webhooks`: what tenant webhook URLs may be, and the low-balance threshold.
    struct Webhooks: Decodable {
        /// Allow `http://` URLs (development mode allows them anyway).
        var allowHttp: Bool?
        /// Allow private, link-local and loopback addresses (receivers inside the operator's network).
        var allowPrivateNetworks: Bool?
        /// `wallet.low_balance` fires below this available balance, USD as a decimal string.
        var lowBalanceThresholdUsd: String?
        var maxEndpointsPerTenant: Int?
    }

    /// `messaging`: messaging providers, which sends each channel, prices (replacing the development ones).
    struct Messaging: Decodable {
        struct Provider: Decodable {
            var id: String
            /// `twilio`, `sendgrid` or `simulated`.
            var type: String
            var baseUrl: String?
            /// Twilio's Content API (templates).
            var contentBaseUrl: String?
            var accountSid: String?
            /// The environment variable holding the Twilio auth token or the SendGrid API key.
            var secretEnv: String?
            var smsFrom: String?
            var whatsappFrom: String?
            var emailFrom: String?
            /// SendGrid: the Event Webhook's verification key (base64 DER as SendGrid shows it, or PEM).
            var eventWebhookPublicKey: String?
            var requestsPerMinute: Int?
            var timeoutSeconds: Int?
            var transientFailureRate: Double?
        }

        var providers: [Provider]
        /// Channel → provider id.
        var routes: [String: String]
        /// Channel → USD per message (per segment for SMS), a decimal string.
        var prices: [String: String]
        var maxAttempts: Int?
        /// Tenant id → its quiet hours, `{start: "08:00", end: "21:00", timezone: "Europe/Paris"}`.
        var sendWindows: [String: SendWindow]?
        /// Tenant id → its own provider accounts and senders.
        var tenants: [String: Tenant]?

        struct Tenant: Decodable {
            /// Channel → the id of a provider above (e.g. the tenant's Twilio subaccount).
            var routes: [String: String]?
            /// Channel → the senders the tenant may send from (the first is its default).
            var senders: [String: [String]]?
        }

        struct SendWindow: Decodable {
            var start: String
            var end: String
            var timezone: String
        }
    }

    /// `llm`: model providers, priced models and routes (replacing the development ones).
    struct LLM: Decodable {
        struct Provider: Decodable {
            var id: String
            /// `openai` (any OpenAI-compatible endpoint), `anthropic` or `simulated`.
            var type: String
            var baseUrl: String?
            /// The environment variable holding the API key (keys stay out of config files).
            var apiKeyEnv: String?
            var timeoutSeconds: Int?
            var requestsPerMinute: Int?
            var tokensPerMinute: Int?
            var latencyMs: Int?
            var errorRate: Double?
            var rateLimitRate: Double?
            var outputTokens: Int?
            var seed: UInt64?
        }

        struct Model: Decodable {
            var maxOutputTokens: Int
            var inputPer1K: Int64
            var outputPer1K: Int64
        }

        struct Target: Decodable {
            var provider: String
            var model: String
        }

        var providers: [Provider]
        var models: [String: Model]
        var routes: [String: [Target]]
        var defaultUseCase: String
        var requestDeadlineSeconds: Int?
    }

    struct Auth: Decodable {
        var publicKeyFile: String?
        var jwksFile: String?
        var jwksUrl: String?
        var hs256Secret: String?
        var issuer: String?
        var audience: String?
        var leewaySeconds: Int?
    }

    struct Limits: Decodable {
        var maxBodyBytes: Int?
        var maxHeaderBytes: Int?
        var idleTimeoutSeconds: Int?
        var bodyReadTimeoutSeconds: Int?
        /// The bytes of request bodies read at once across the process (default 256 MiB).
        var bodyBudgetBytes: Int?
    }

    static let knownKeys: [String: Set<String>] = [
        "": ["host", "port", "dataDir", "internalApiKey", "dev", "sync", "maxInFlight", "shutdownGrace", "minScheduleIntervalSeconds", "metrics",
             "publicBaseUrl", "otlpEndpoint", "auth",
             "limits", "plans", "llm", "messaging", "webhooks"],
        "webhooks": ["allowHttp", "allowPrivateNetworks", "lowBalanceThresholdUsd", "maxEndpointsPerTenant"],
        "messaging": ["providers", "routes", "prices", "maxAttempts", "sendWindows", "tenants"],
        "llm": ["providers", "models", "routes", "defaultUseCase", "requestDeadlineSeconds"],
        "auth": ["publicKeyFile", "jwksFile", "jwksUrl", "hs256Secret", "issuer", "audience", "leewaySeconds"],
        "limits": ["maxBodyBytes", "maxHeaderBytes", "idleTimeoutSeconds", "bodyReadTimeoutSeconds", "bodyBudgetBytes"],
    ]

    static func load(_ path: String) throws -> ConfigFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SettingsError("cannot read config file \(path): \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SettingsError("config file \(path) is not a JSON object")
        }
        for (section, keys) in knownKeys {
            let table = section.isEmpty ? object : object[section] as? [String: Any] ?? [:]
            if let unknown = table.keys.first(where: { !keys.contains($0) }) {
                throw SettingsError("config file \(path): unknown key '\(section.isEmpty ? "" : section + ".")\(unknown)'")
            }
        }
        for (plan, entry) in object["plans"] as? [String: Any] ?? [:] {
            if let unknown = (entry as? [String: Any])?.keys.first(where: { !["requestsPerSecond", "burst"].contains($0) }) {
                throw SettingsError("config file \(path): unknown key 'plans.\(plan).\(unknown)'")
            }
        }
        if let problem = unknownEntryKey(in: object) { throw SettingsError("config file \(path): \(problem)") }
        do { return try JSONDecoder().decode(ConfigFile.self, from: data) } catch let error as DecodingError {
            throw SettingsError("config file \(path): \(Self.describe(error))")
        }
    }

    /// The keys of each entry of the lists and maps inside sections (`llm.providers[]`,
    /// `llm.models.<name>`, `llm.routes.<useCase>[]`, `messaging.providers[]`).
    static let entryKeys: [(section: String, field: String, keys: Set<String>)] = [
        ("llm", "providers", ["id", "type", "baseUrl", "apiKeyEnv", "timeoutSeconds", "requestsPerMinute", "tokensPerMinute",
                              "latencyMs", "errorRate", "rateLimitRate", "outputTokens", "seed"]),
        ("llm", "models", ["maxOutputTokens", "inputPer1K", "outputPer1K"]),
        ("llm", "routes", ["provider", "model"]),
        ("messaging", "tenants", ["routes", "senders"]),
        ("messaging", "providers", ["id", "type", "baseUrl", "contentBaseUrl", "accountSid", "secretEnv", "smsFrom", "whatsappFrom",
                                    "emailFrom", "eventWebhookPublicKey", "requestsPerMinute", "timeoutSeconds", "transientFailureRate"]),
    ]

    /// The first key inside an entry that the entry does not have, as
    /// `llm.providers[1]: unknown key 'base_url'` (sorted, so the message is stable); nil when none.
    static func unknownEntryKey(in object: [String: Any]) -> String? {
        func check(_ value: Any, at path: String, _ keys: Set<String>) -> String? {
            switch value {
            case let entry as [String: Any]:
                return entry.keys.sorted().first { !keys.contains($0) }.map { "\(path): unknown key '\($0)'" }
            case let list as [Any]:
                for (index, element) in list.enumerated() {
                    if let problem = check(element, at: "\(path)[\(index)]", keys) { return problem }
                }
                return nil
            default:
                return nil
            }
        }
        for (section, field, keys) in entryKeys {
            guard let value = (object[section] as? [String: Any])?[field] else { continue }
            let path = "\(section).\(field)"
            if let list = value as? [Any] {
                if let problem = check(list, at: path, keys) { return problem }
            } else if let map = value as? [String: Any] {
                // A map of entries (models by name) or of lists of entries (routes by use case).
                for name in map.keys.sorted() {
                    if let problem = check(map[name] as Any, at: "\(path).\(name)", keys) { return problem }
                }
            }
        }
        return nil
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case .keyNotFound(let key, _): "'\(key.stringValue)' is missing"
        @unknown default: "\(error)"
        }
    }
}

/// A setting that cannot work; `serve` prints it and exits non-zero before opening anything.
struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
