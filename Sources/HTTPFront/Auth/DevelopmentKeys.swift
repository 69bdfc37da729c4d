import CryptoExtras
import Foundation
import JWTKit

/// The development credentials kept in the data directory, made on first use: an RS256
/// signing key (`dev-signing-key.pem`) that `switchboard token` signs with and dev-mode
/// servers trust, and the internal API key (`internal-api-key`) when none is configured.
/// Both files are created with mode 0600.
public enum DevelopmentKeys {
    public static let signingKeyFile = "dev-signing-key.pem"
    public static let internalKeyFile = "internal-api-key"
    /// The demo tenant dev mode funds at start.
    public static let demoTenant = "00000000-0000-0000-0000-000000000001"

    /// The signing key's PEM, generated (2048-bit RSA) if the file does not exist.
    public static func signingKey(inDataDirectory directory: String, create: Bool = true) throws -> String {
        let path = (directory as NSString).appendingPathComponent(signingKeyFile)
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) { return existing }
        guard create else { throw AuthSetupError("no development signing key at \(path); start `switchboard serve --dev` once first") }
        let pem = try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
        return try writeOnce(pem, to: path, directory: directory)
    }

    /// The internal API key stored in the data directory, generated (32 random bytes, hex) if
    /// missing; `created` says whether it was made now.
    public static func internalKey(inDataDirectory directory: String) throws -> (key: String, created: Bool) {
        let path = (directory as NSString).appendingPathComponent(internalKeyFile)
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            return (existing.trimmingCharacters(in: .whitespacesAndNewlines), false)
        }
        var generator = SystemRandomNumberGenerator()
        let key = hexString((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return (try writeOnce(key, to: path, directory: directory), true)
    }

    /// Signs a development token with the data directory's key.
    public static func mintToken(signingKeyPEM: String, claims: AccessClaims) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: signingKeyPEM), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    /// Writes `contents` with mode 0600 unless another process wrote the file first, and
    /// returns what the file holds.
    private static func writeOnce(_ contents: String, to path: String, directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(contents.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw AuthSetupError("cannot write \(temporary)")
        }
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        // link(2) fails if the file exists: the first writer wins, the others read its key.
        if link(temporary, path) != 0 && errno != EEXIST { throw AuthSetupError("cannot create \(path): errno \(errno)") }
        return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
