import Foundation
import HTTPFront
import Jobs
import Runtime

/// `serve`'s settings after precedence (flag > `SWITCHBOARD_*` environment > config file >
/// embedded default), checked before anything is opened.
struct ServeSettings {
    var host = "127.0.0.1"
    var port = 8080
    var dataDir = "./data"
    /// The PostgreSQL database all state lives in; nil: the SQLite file in `dataDir`.
    var database: PostgresURL?
    var internalAPIKey: String?
    var dev = true
    var sync = StoreConfiguration.Synchronous.normal
    var maxInFlight = 256
    var shutdownGrace = 25
    var minScheduleIntervalSeconds = 60
    var metrics = true
    /// Where providers reach this server (`https://host`), for their signed webhooks.
    var publicBaseURL: String?
    /// The OTLP/HTTP collector's base URL (no trailing slash); nil: nothing is exported.
    var otlpEndpoint: String?
    var auth = AuthConfiguration()
    var limits = RequestLimits()
    var plans = PlanLimits()
    var llm = LLMConfiguration.development
    var providers = [ProviderSettings(id: "simulated", kind: .simulated(LLMConfiguration.development.simulated))]
    var messaging = MessagingConfiguration.development
    var messagingProviders = [MessagingProviderSettings.simulated()]
    var webhooks = WebhookConfiguration.development

    init(_ options: ServeOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func env(_ name: String) -> String? {
            environment["SWITCHBOARD_" + name].flatMap { $0.isEmpty ? nil : $0 }
        }
        func int(_ name: String, _ flag: Int?) throws -> Int? {
            if let flag { return flag }
            guard let text = env(name) else { return nil }
            guard let value = Int(text) else { throw SettingsError("SWITCHBOARD_\(name) must be an integer, not '\(text)'") }
            return value
        }
        func bool(_ name: String, _ flag: Bool?) throws -> Bool? {
            if let flag { return flag }
            guard let text = env(name)?.lowercased() else { return nil }
            switch text {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw SettingsError("SWITCHBOARD_\(name) must be true or false, not '\(text)'")
            }
        }

        let file = try (options.config ?? env("CONFIG")).map(ConfigFile.load)
        host = options.host ?? env("HOST") ?? file?.host ?? host
        port = try int("PORT", options.port) ?? file?.port ?? port
        dataDir = options.dataDir ?? env("DATA_DIR") ?? file?.dataDir ?? dataDir
        if let text = options.database ?? env("DATABASE_URL") ?? file?.database {
            do { database = try PostgresURL(parsing: text) } catch {
                throw SettingsError("\(error); SQLite needs no URL: it is the default, in --data-dir")
            }
        }
        internalAPIKey = options.internalApiKey ?? env("INTERNAL_API_KEY") ?? file?.internalApiKey
        let devChoice = try bool("DEV", options.dev) ?? file?.dev
        if let text = options.sync ?? env("SYNC") ?? file?.sync {
            guard let level = StoreConfiguration.Synchronous(rawValue: text) else {
                throw SettingsError("sync must be normal or full, not '\(text)'")
            }
            sync = level
        }
        maxInFlight = try int("MAX_IN_FLIGHT", options.maxInFlight) ?? file?.maxInFlight ?? maxInFlight
        shutdownGrace = try int("SHUTDOWN_GRACE", options.shutdownGrace) ?? file?.shutdownGrace ?? shutdownGrace
        metrics = try bool("METRICS", options.metrics) ?? file?.metrics ?? metrics
        publicBaseURL = options.publicBaseUrl ?? env("PUBLIC_BASE_URL") ?? file?.publicBaseUrl
        if let url = publicBaseURL {
            guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                  parsed.host?.isEmpty == false, parsed.query == nil, parsed.fragment == nil else {
                throw SettingsError("public-base-url must be an http(s) URL with a host and no query, not '\(url.prefix(100))'")
            }
            publicBaseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        if let url = options.otlpEndpoint ?? env("OTLP_ENDPOINT") ?? file?.otlpEndpoint {
            guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                  parsed.host?.isEmpty == false, parsed.query == nil, parsed.fragment == nil else {
                throw SettingsError("otlp-endpoint must be an http(s) URL with a host and no query, not '\(url.prefix(100))'")
            }
            otlpEndpoint = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        minScheduleIntervalSeconds = file?.minScheduleIntervalSeconds ?? minScheduleIntervalSeconds

        let fileAuth = file?.auth
        if let path = options.jwtPublicKeyFile ?? env("JWT_PUBLIC_KEY_FILE") ?? fileAuth?.publicKeyFile {
            auth.publicKeyPEMs = [try Self.read(path, what: "public key")]
        }
        if let path = options.jwksFile ?? env("JWKS_FILE") ?? fileAuth?.jwksFile {
            auth.jwksJSON = try Self.read(path, what: "JWKS")
        }
        auth.jwksURL = options.jwksUrl ?? env("JWKS_URL") ?? fileAuth?.jwksUrl
        auth.hs256Secret = env("JWT_HS256_SECRET") ?? fileAuth?.hs256Secret
        auth.issuer = options.jwtIssuer ?? env("JWT_ISSUER") ?? fileAuth?.issuer
        auth.audience = options.jwtAudience ?? env("JWT_AUDIENCE") ?? fileAuth?.audience
        if let leeway = fileAuth?.leewaySeconds { auth.leeway = .seconds(leeway) }

        if let limits = file?.limits {
            if let value = limits.maxBodyBytes { self.limits.maxBodyBytes = value }
            if let value = limits.maxHeaderBytes { self.limits.maxHeaderBytes = value }
            if let value = limits.idleTimeoutSeconds { self.limits.idleTimeout = .seconds(value) }
            if let value = limits.bodyReadTimeoutSeconds { self.limits.bodyReadTimeout = .seconds(value) }
            if let value = limits.bodyBudgetBytes {
                guard (1 << 20...(64 << 30)).contains(value) else { throw SettingsError("limits.bodyBudgetBytes must be 1 MiB...64 GiB") }
                self.limits.bodyBudget = BodyBudget(capacity: value)
            }
        }
        if let plans = file?.plans { self.plans.plans.merge(plans) { _, configured in configured } }
        // Development mode is the default only while no production token key is configured.
        dev = devChoice ?? !auth.hasKeys
        // Each module checks its own section.
        do {
            if let llm = file?.llm { (self.llm, providers) = try llm.resolved(environment: environment) }
            if let section = file?.messaging { (messaging, messagingProviders) = try section.resolved(environment: environment) }
            webhooks = try WebhookConfiguration.Section.resolved(file?.webhooks, development: dev)
        } catch let error as ConfigurationError {
            throw SettingsError(error.description)
        }
        try validate()
    }

    private func validate() throws {
        guard (0...65_535).contains(port) else { throw SettingsError("port must be 0...65535") }
        guard (1...100_000).contains(maxInFlight) else { throw SettingsError("max-in-flight must be 1...100000") }
        guard (1...86_400).contains(minScheduleIntervalSeconds) else { throw SettingsError("minScheduleIntervalSeconds must be 1...86400") }
        guard (0...3_600).contains(shutdownGrace) else { throw SettingsError("shutdown-grace must be 0...3600 seconds") }
        if let key = internalAPIKey, key.utf8.count < 16 { throw SettingsError("the internal API key must be at least 16 characters") }
        guard (1_024...(256 << 20)).contains(limits.maxBodyBytes) else { throw SettingsError("limits.maxBodyBytes must be 1 KiB...256 MiB") }
        guard (1_024...(1 << 20)).contains(limits.maxHeaderBytes) else { throw SettingsError("limits.maxHeaderBytes must be 1 KiB...1 MiB") }
        guard limits.idleTimeout > .zero, limits.bodyReadTimeout > .zero else { throw SettingsError("limits timeouts must be positive") }
        for (plan, limit) in plans.plans where limit.requestsPerSecond < 1 || limit.burst < 1 {
            throw SettingsError("plan '\(plan)' needs requestsPerSecond and burst of at least 1")
        }
        if !dev && !auth.hasKeys {
            throw SettingsError("with --no-dev a token key is required: --jwt-public-key-file, --jwks-file, --jwks-url or auth.hs256Secret")
        }
    }

    var databasePath: String { RuntimeConfiguration.databasePath(inDataDirectory: dataDir) }

    private static func read(_ path: String, what: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SettingsError("cannot read the \(what) file \(path): \(error.localizedDescription)")
        }
    }
}
