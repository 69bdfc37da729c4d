import ArgumentParser

/// The flags of `switchboard serve`. Each is optional here: a flag wins over its
/// `SWITCHBOARD_*` environment variable, which wins over the config file, which wins over the
/// embedded default (`ServeSettings` resolves them).
struct ServeOptions: ParsableArguments {
    @Option(help: "Address to listen on (env SWITCHBOARD_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env SWITCHBOARD_PORT; default 8080).")
    var port: Int?

    @Option(help: ArgumentHelp("Directory of the database and development keys (env SWITCHBOARD_DATA_DIR; default ./data).",
                               valueName: "path"))
    var dataDir: String?

    @Option(help: ArgumentHelp("PostgreSQL database shared by several instances, postgres://user[:password]@host[:port]/database[?sessions=N] (env SWITCHBOARD_DATABASE_URL; default: the SQLite file in the data dir).",
                               valueName: "url"))
    var database: String?

    @Option(help: ArgumentHelp("JSON config file (env SWITCHBOARD_CONFIG).", valueName: "file"))
    var config: String?

    @Option(help: "Key for x-internal-api-key on internal routes (env SWITCHBOARD_INTERNAL_API_KEY; default: generated into the data dir).")
    var internalApiKey: String?

    @Flag(inversion: .prefixedNo, help: "Development mode: trust the data dir's signing key and fund the demo tenant (env SWITCHBOARD_DEV; default on).")
    var dev: Bool?

    @Option(help: "SQLite synchronous level: normal or full (env SWITCHBOARD_SYNC; default normal).")
    var sync: String?

    @Option(help: "Jobs running at once (env SWITCHBOARD_MAX_IN_FLIGHT; default 256).")
    var maxInFlight: Int?

    @Option(help: "Seconds in-flight jobs get to finish on shutdown (env SWITCHBOARD_SHUTDOWN_GRACE; default 25).")
    var shutdownGrace: Int?

    @Option(help: ArgumentHelp("PEM public key or certificate (RS256 or ES256) tokens are verified with (env SWITCHBOARD_JWT_PUBLIC_KEY_FILE).",
                               valueName: "file"))
    var jwtPublicKeyFile: String?

    @Option(help: ArgumentHelp("JWKS document file (env SWITCHBOARD_JWKS_FILE).", valueName: "file"))
    var jwksFile: String?

    @Option(help: ArgumentHelp("JWKS URL, refetched every 5 minutes (env SWITCHBOARD_JWKS_URL).", valueName: "url"))
    var jwksUrl: String?

    @Option(help: "Required token issuer, iss (env SWITCHBOARD_JWT_ISSUER).")
    var jwtIssuer: String?

    @Option(help: "Required token audience, aud (env SWITCHBOARD_JWT_AUDIENCE).")
    var jwtAudience: String?

    @Flag(inversion: .prefixedNo, help: "Serve GET /metrics (env SWITCHBOARD_METRICS; default on).")
    var metrics: Bool?

    @Option(help: ArgumentHelp("The scheme and host providers reach this server at, behind any proxy; provider webhooks are signed over it (env SWITCHBOARD_PUBLIC_BASE_URL).",
                               valueName: "url"))
    var publicBaseUrl: String?

    @Option(help: ArgumentHelp("OTLP/HTTP collector base URL; traces and metrics are exported to <url>/v1/traces and <url>/v1/metrics (env SWITCHBOARD_OTLP_ENDPOINT; default: no export).",
                               valueName: "url"))
    var otlpEndpoint: String?
}
