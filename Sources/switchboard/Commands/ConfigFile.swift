import Foundation
import HTTPFront
import Jobs

/// The optional JSON config file of `serve` (`--config`): every flag, plus what has no flag
/// (HS256 secret, request limits, plan limits). Unknown keys are refused, so a typo is not
/// silently ignored.
struct ConfigFile: Decodable {
    var host: String?
    var port: Int?
    var dataDir: String?
    /// A `postgres://` URL: state lives there instead of the data dir's SQLite file.
    var database: String?
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
    var llm: LLMConfiguration.Section?
    var messaging: MessagingConfiguration.Section?
    var webhooks: WebhookConfiguration.Section?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port, dataDir, database, internalApiKey, dev, sync, maxInFlight, shutdownGrace, minScheduleIntervalSeconds, metrics
        case publicBaseUrl, otlpEndpoint, auth, limits, plans, llm, messaging, webhooks
    }

    struct Auth: Decodable {
        var publicKeyFile: String?
        var jwksFile: String?
        var jwksUrl: String?
        var hs256Secret: String?
        var issuer: String?
        var audience: String?
        var leewaySeconds: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case publicKeyFile, jwksFile, jwksUrl, hs256Secret, issuer, audience, leewaySeconds
        }
    }

    struct Limits: Decodable {
        var maxBodyBytes: Int?
        var maxHeaderBytes: Int?
        var idleTimeoutSeconds: Int?
        var bodyReadTimeoutSeconds: Int?
        /// The bytes of request bodies read at once across the process (default 256 MiB).
        var bodyBudgetBytes: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxBodyBytes, maxHeaderBytes, idleTimeoutSeconds, bodyReadTimeoutSeconds, bodyBudgetBytes
        }
    }

    /// Where each object of the file sits (`*`: under any key of a map, `[]`: each element of a
    /// list) and the keys it may have: each type's own coding keys, so a key is spelled once.
    static let shapes: [(path: [String], keys: Set<String>)] = [
        ([], keys(CodingKeys.self)),
        (["auth"], keys(Auth.CodingKeys.self)),
        (["limits"], keys(Limits.CodingKeys.self)),
        (["plans", "*"], ["requestsPerSecond", "burst"]),
        (["llm"], LLMConfiguration.Section.keys),
        (["llm", "providers", "[]"], LLMConfiguration.Section.Provider.keys),
        (["llm", "models", "*"], LLMConfiguration.Section.Model.keys),
        (["llm", "routes", "*", "[]"], LLMConfiguration.Section.Target.keys),
        (["messaging"], MessagingConfiguration.Section.keys),
        (["messaging", "providers", "[]"], MessagingConfiguration.Section.Provider.keys),
        (["messaging", "tenants", "*"], MessagingConfiguration.Section.Tenant.keys),
        (["messaging", "sendWindows", "*"], MessagingConfiguration.Section.SendWindow.keys),
        (["webhooks"], WebhookConfiguration.Section.keys),
    ]

    private static func keys<Key: CodingKey & CaseIterable>(_: Key.Type) -> Set<String> { Set(Key.allCases.map(\.stringValue)) }

    static func load(_ path: String) throws -> ConfigFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SettingsError("cannot read config file \(path): \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SettingsError("config file \(path) is not a JSON object")
        }
        if let problem = unknownKey(in: object) { throw SettingsError("config file \(path): \(problem)") }
        do { return try JSONDecoder().decode(ConfigFile.self, from: data) } catch let error as DecodingError {
            throw SettingsError("config file \(path): \(Self.describe(error))")
        }
    }

    /// The first key of an object that its shape does not have, as `unknown key 'prot'` or
    /// `llm.providers[1]: unknown key 'base_url'` (keys sorted, so the message is stable); nil
    /// when none. A value of the wrong type is left to the decoder, which names it.
    static func unknownKey(in object: [String: Any]) -> String? {
        func walk(_ value: Any, _ path: ArraySlice<String>, at name: String, _ keys: Set<String>) -> String? {
            guard let step = path.first else {
                guard let entry = value as? [String: Any] else { return nil }
                return entry.keys.sorted().first { !keys.contains($0) }.map { name.isEmpty ? "unknown key '\($0)'" : "\(name): unknown key '\($0)'" }
            }
            let rest = path.dropFirst()
            switch step {
            case "[]":
                for (index, element) in (value as? [Any] ?? []).enumerated() {
                    if let problem = walk(element, rest, at: "\(name)[\(index)]", keys) { return problem }
                }
            case "*":
                let map = value as? [String: Any] ?? [:]
                for key in map.keys.sorted() {
                    if let problem = walk(map[key] as Any, rest, at: "\(name).\(key.prefix(128))", keys) { return problem }
                }
            default:
                if let child = (value as? [String: Any])?[step] {
                    return walk(child, rest, at: name.isEmpty ? step : "\(name).\(step)", keys)
                }
            }
            return nil
        }
        for shape in shapes {
            if let problem = walk(object, shape.path[...], at: "", shape.keys) { return problem }
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
