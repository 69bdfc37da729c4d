import ArgumentParser
import Foundation
import HTTPFront

/// `switchboard token`: mints a development JWT signed with the data directory's key and
/// prints it alone on stdout, for curl and scripts: `-H "Authorization: Bearer $(switchboard token …)"`.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a development JWT signed with the data directory's key.")

    @Option(help: ArgumentHelp("Data directory holding dev-signing-key.pem (env SWITCHBOARD_DATA_DIR; default ./data).", valueName: "path"))
    var dataDir: String?

    @Option(help: "tenantId claim.")
    var tenant: String = DevelopmentKeys.demoTenant

    @Option(help: "sub claim (the user).")
    var sub = "dev-user"

    @Option(help: "roles claim, comma-separated.")
    var roles = "user"

    @Option(help: "planTier claim.")
    var plan = "professional"

    @Option(help: "email claim.")
    var email: String?

    @Option(help: "Seconds until the token expires (1...31536000).")
    var ttl = 3_600

    @Option(help: "iss claim.")
    var issuer: String?

    @Option(help: "aud claim.")
    var audience: String?

    func validate() throws {
        guard (1...31_536_000).contains(ttl) else { throw ValidationError("--ttl must be 1...31536000 seconds") }
        guard !tenant.isEmpty, tenant.utf8.count <= 200 else { throw ValidationError("--tenant must be 1 to 200 bytes") }
        guard !sub.isEmpty, sub.utf8.count <= 255 else { throw ValidationError("--sub must be 1 to 255 bytes") }
    }

    func run() async throws {
        let directory = dataDir ?? ProcessInfo.processInfo.environment["SWITCHBOARD_DATA_DIR"] ?? "./data"
        let key = try DevelopmentKeys.signingKey(inDataDirectory: directory)
        let now = Date()
        let claims = AccessClaims(sub: sub, tenantId: tenant, email: email,
                                  roles: roles.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                                  planTier: plan, issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(ttl)),
                                  issuer: issuer, audience: audience)
        print(try await DevelopmentKeys.mintToken(signingKeyPEM: key, claims: claims))
    }
}
