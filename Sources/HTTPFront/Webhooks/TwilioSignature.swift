import Crypto
import Foundation

/// Twilio's request signature (`X-Twilio-Signature`): base64 of HMAC-SHA1, keyed by the
/// account's auth token, over the full public URL Twilio called followed by each form field's
/// name and value, sorted by name. The URL is the one Twilio was given (the configured public
/// base URL, since a proxy changes the host), query string included.
public enum TwilioSignature {
    /// The signature of a request to `url` with `fields`.
    public static func sign(url: String, fields: [(name: String, value: String)], authToken: String) -> String {
        Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(signedText(url: url, fields: fields).utf8),
                                                     using: SymmetricKey(data: Data(authToken.utf8)))).base64EncodedString()
    }

    /// Whether `signature` is right for the request, compared in constant time.
    static func isValid(_ signature: String, url: String, fields: [(name: String, value: String)], authToken: String) -> Bool {
        guard let mac = Data(base64Encoded: signature) else { return false }
        return HMAC<Insecure.SHA1>.isValidAuthenticationCode(mac, authenticating: Data(signedText(url: url, fields: fields).utf8),
                                                             using: SymmetricKey(data: Data(authToken.utf8)))
    }

    private static func signedText(url: String, fields: [(name: String, value: String)]) -> String {
        // Sorted by name, then value for repeated names (a stable order, as Twilio's libraries use).
        url + fields.sorted { ($0.name, $0.value) < ($1.name, $1.value) }.map { $0.name + $0.value }.joined()
    }
}
