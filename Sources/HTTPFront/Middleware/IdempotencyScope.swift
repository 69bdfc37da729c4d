import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Runtime

/// Where an `Idempotency-Key` lives: per tenant and per user, so that two users of one tenant
/// who pick the same key never see each other's answers (or messages, or batches). Internal-key
/// callers share the scope `_internal`, apart from every tenant. `key` is what the idempotency
/// store and the message and batch tables keep: the client's key behind a digest of the user.
struct IdempotencyScope: Sendable, Equatable {
    /// The scope of internal-key callers.
    static let internalTenant = "_internal"

    let tenant: String
    let key: String

    init(principal: Principal?, key clientKey: String) {
        guard let principal else {
            tenant = Self.internalTenant
            key = clientKey
            return
        }
        tenant = principal.tenant
        key = Self.userPrefix(principal.subject) + clientKey
    }

    /// The scoped key of a tenant request's `Idempotency-Key`, if it carries one: what a
    /// message or batch records to find the one the same caller made with it before.
    static func key(of request: Request, caller: Principal) -> String? {
        request.headers[.idempotencyKey].map { IdempotencyScope(principal: caller, key: $0).key }
    }

    /// `u:` and the first 16 bytes of SHA-256 of `sub`, in hex, and `:` (35 characters): fixed
    /// length, so a key can never pass for another user's.
    static func userPrefix(_ subject: String) -> String {
        "u:" + hexString(SHA256.hash(data: Data(subject.utf8)).prefix(16)) + ":"
    }

    static let maxKeyLength = 255

    /// Headers that change a request's meaning: the same key with another value is a mismatch.
    static let fingerprintHeaders: [HTTPField.Name] = [.contentType, .wallet, .budgetMaxUSD]

    /// SHA-256 of method, path, the `fingerprintHeaders` (absent ones too) and body: the same
    /// key with any of them changed is a mismatch.
    static func fingerprint(_ request: Request, body: ByteBuffer) throws -> RequestFingerprint {
        var hasher = SHA256()
        var head = "\(request.method.rawValue) \(request.uri.path)\n"
        for name in fingerprintHeaders {
            // A value's length first, so that no two header sets hash alike.
            if let value = request.headers[name] { head += "\(name.canonicalName):\(value.utf8.count):\(value)\n" } else { head += "\(name.canonicalName)\n" }
        }
        hasher.update(data: Data(head.utf8))
        body.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return try RequestFingerprint(Data(hasher.finalize()))
    }
}
