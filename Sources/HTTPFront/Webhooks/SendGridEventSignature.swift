import Crypto
import Foundation

/// SendGrid's signed Event Webhook: an ECDSA P-256 / SHA-256 signature (base64 DER, header
/// `X-Twilio-Email-Event-Webhook-Signature`) over the timestamp header's text followed by the
/// raw body, checked with the account's verification key. Reports older (or newer) than
/// `maxAge` are refused, so a captured request cannot be replayed later.
struct SendGridEventSignature: Sendable {
    static let maxAge: TimeInterval = 300

    let provider: String
    let key: P256.Signing.PublicKey

    /// The key as SendGrid shows it (base64 DER) or as PEM; nil if it is neither.
    init?(provider: String, publicKey text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let key = try? P256.Signing.PublicKey(pemRepresentation: trimmed) {
            self.key = key
        } else if let der = Data(base64Encoded: trimmed), let key = try? P256.Signing.PublicKey(derRepresentation: der) {
            self.key = key
        } else {
            return nil
        }
        self.provider = provider
    }

    /// Whether `signature` signs `timestamp` + `body`, and the timestamp is within `maxAge` of `now`.
    func isValid(_ signature: String, timestamp: String, body: Data, now: Date) -> Bool {
        guard let seconds = TimeInterval(timestamp), abs(now.timeIntervalSince1970 - seconds) <= Self.maxAge,
              let der = Data(base64Encoded: signature), let ecdsa = try? P256.Signing.ECDSASignature(derRepresentation: der) else {
            return false
        }
        return key.isValidSignature(ecdsa, for: Data(timestamp.utf8) + body)
    }
}
