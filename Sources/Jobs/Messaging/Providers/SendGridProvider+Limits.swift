import Foundation
import NIOHTTP1
import Runtime

/// What SendGrid's answers say about its limits: errors sorted for the relay, and
/// `X-RateLimit-*` headers fed to the limiter.
extension SendGridProvider {
    private struct ErrorAnswer: Decodable {
        struct Detail: Decodable {
            var message: String?
            var field: String?
        }

        var errors: [Detail]?
    }

    /// A non-2xx answer as a `MessagingError` (see the type's promises). A 429 also pauses the limiter.
    func failure(_ answer: MessagingTransport.Answer) -> MessagingError {
        let status = Int(answer.status.code)
        let detail = (try? JSONDecoder().decode(ErrorAnswer.self, from: answer.data))?.errors?.first { $0.message != nil }
        let message = "\(id) answered \(status): \(detail?.message ?? answer.status.reasonPhrase)"
            + (detail?.field.map { " (\($0))" } ?? "")
        switch status {
        case 429:
            let wait = MessagingTransport.retryAfter(answer, now: clock.now()) ?? untilReset(answer.headers)
            if let limiter, let wait { limiter.pause(key: limiterKey, for: wait) }
            return MessagingError(.rateLimited(retryAfter: wait), code: "429", message)
        case 408, 500...599:
            return MessagingError(.transient, code: String(status), message)
        default:
            return MessagingError(.permanent, code: String(status), message)
        }
    }

    /// `X-RateLimit-Remaining: 0` pauses the limiter until `X-RateLimit-Reset`.
    func observeLimits(_ answer: MessagingTransport.Answer) {
        guard let limiter, answer.headers.first(name: "X-RateLimit-Remaining").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) == 0,
              let reset = resetDate(answer.headers) else { return }
        limiter.pause(key: limiterKey, until: reset)
    }

    /// The wait until `X-RateLimit-Reset` (never negative, at most `ProviderBackoff.defaultCap`),
    /// or nil without a readable one.
    func untilReset(_ headers: HTTPHeaders) -> Duration? {
        guard let reset = resetDate(headers) else { return nil }
        let milliseconds = reset.millisecondsSince1970 - clock.now().millisecondsSince1970
        return .milliseconds(min(max(0, milliseconds), ProviderBackoff.defaultCap.milliseconds))
    }

    private func resetDate(_ headers: HTTPHeaders) -> Date? {
        guard let seconds = headers.first(name: "X-RateLimit-Reset").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
              seconds.isFinite, seconds >= 0, seconds < 1e11 else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }
}
