import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// Twilio's status callbacks, as the real service sends them: after a send that asked for one
/// (`StatusCallback`), `sent` then `delivered` (`undelivered` with 30003 for `+15005550010`) are
/// posted to that URL, form-encoded and signed with `X-Twilio-Signature` (HMAC-SHA1 of the URL and
/// the sorted fields, keyed by the auth token). `TwilioCallbacks` makes them imperfect the way the
/// real ones are: some come twice, some out of order, some never (so reconciliation is needed).
extension MockProvider {
    /// How the mock sends status callbacks.
    public struct TwilioCallbacks: Sendable {
        /// How long after the send the first callback goes.
        public var delay: Duration
        /// Shares (0…1) of sends whose callbacks come twice, in reverse order, or not at all.
        public var duplicateRate: Double
        public var outOfOrderRate: Double
        public var dropRate: Double

        public init(delay: Duration = .milliseconds(200), duplicateRate: Double = 0, outOfOrderRate: Double = 0, dropRate: Double = 0) {
            self.delay = delay
            self.duplicateRate = duplicateRate
            self.outOfOrderRate = outOfOrderRate
            self.dropRate = dropRate
        }
    }

    /// The callbacks of the delivery `sid` (to `to`) for `url`, as (fields, signature) in the
    /// order they are posted; empty when this send's are dropped.
    func twilioCallbacks(url: String, account: String, sid: String, to: String, sequence: Int) -> [[(name: String, value: String)]] {
        guard let behaviour = configuration.messaging.twilioCallbacks else { return [] }
        let roll = { (salt: Int) in Self.unit(sequence &* 31 &+ salt) }
        if roll(1) < behaviour.dropRate { return [] }
        let undelivered = to.hasSuffix("+15005550010")
        var events: [[(name: String, value: String)]] = ["sent", undelivered ? "undelivered" : "delivered"].map { status in
            var fields = [(name: "AccountSid", value: account), (name: "MessageSid", value: sid), (name: "MessageStatus", value: status),
                          (name: "To", value: to)]
            if status == "undelivered" { fields.append((name: "ErrorCode", value: "30003")) }
            return fields
        }
        if roll(2) < behaviour.outOfOrderRate { events.reverse() }
        if roll(3) < behaviour.duplicateRate, let last = events.last { events.append(last) }
        return events
    }

    /// Posts `events` to `url` one after another after the configured delay, signed with the
    /// account's auth token. A post that gets no 2xx is tried again every second, up to a minute
    /// (as Twilio's callback retries do), so a server that restarts still gets it.
    func postTwilioCallbacks(_ events: [[(name: String, value: String)]], to url: String) {
        guard !events.isEmpty, let behaviour = configuration.messaging.twilioCallbacks else { return }
        let token = configuration.messaging.twilioAuthToken ?? ""
        Task {
            try? await Task.sleep(for: behaviour.delay)
            for fields in events {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.headers.add(name: "X-Twilio-Signature", value: Self.twilioSignature(url: url, fields: fields, authToken: token))
                let body = fields.map { "\(Self.formEscape($0.name))=\(Self.formEscape($0.value))" }.joined(separator: "&")
                request.body = .bytes(ByteBuffer(string: body))
                for _ in 0..<60 {
                    if let answer = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)), (200..<300).contains(answer.status.code) {
                        break
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    static func twilioSignature(url: String, fields: [(name: String, value: String)], authToken: String) -> String {
        let text = url + fields.sorted { ($0.name, $0.value) < ($1.name, $1.value) }.map { $0.name + $0.value }.joined()
        return Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: Data(authToken.utf8))))
            .base64EncodedString()
    }

    private static func formEscape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
