import Foundation

extension TwilioProvider {
    /// Twilio's error body: `{code, message, more_info, status}`; `code` a number (read leniently
    /// from a string too).
    private struct ErrorAnswer: Decodable {
        var code: String?
        var message: String?

        enum CodingKeys: String, CodingKey { case code, message }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let number = try? container.decodeIfPresent(Int.self, forKey: .code) {
                code = String(number)
            } else {
                code = try? container.decodeIfPresent(String.self, forKey: .code)
            }
            message = try? container.decodeIfPresent(String.self, forKey: .message)
        }
    }

    /// A non-2xx answer as a `MessagingError` (see the type's promises).
    static func failure(_ answer: MessagingTransport.Answer, provider: String, now: Date) -> MessagingError {
        let detail = try? JSONDecoder().decode(ErrorAnswer.self, from: answer.data)
        let status = Int(answer.status.code)
        let code = detail?.code ?? String(status)
        let message = "\(provider) answered \(status): \(detail?.message ?? answer.status.reasonPhrase)"
        if status == 429 || detail?.code == "20429" {
            return MessagingError(.rateLimited(retryAfter: MessagingTransport.retryAfter(answer, now: now)), code: code, message)
        }
        switch status {
        case 408, 500...599: return MessagingError(.transient, code: code, message)
        default: return MessagingError(.permanent, code: code, message)
        }
    }
}
