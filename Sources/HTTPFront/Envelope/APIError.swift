public import HTTPTypes
import Hummingbird

/// An error the API answers with: an HTTP status, a stable machine code, a message for people
/// and optional details (e.g. the field that was wrong). Every failure a client can see is
/// one of these; `ErrorEnvelopeMiddleware` renders it in the envelope.
public struct APIError: Error, Sendable, Equatable {
    public let status: HTTPResponse.Status
    /// Stable: clients switch on it (`invalid_request`, `not_found`, …).
    public let code: String
    public let message: String
    public var details: [String: String]
    /// Extra response headers (`Retry-After`, `Allow`, `WWW-Authenticate`).
    public var headers: [(HTTPField.Name, String)]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String,
                details: [String: String] = [:], headers: [(HTTPField.Name, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public static func == (lhs: APIError, rhs: APIError) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message && lhs.details == rhs.details
    }
}

extension APIError {
    /// 400 naming the field at fault.
    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, "invalid_request", message, details: field.isEmpty ? [:] : ["field": field])
    }

    static func invalidRequest(_ message: String) -> APIError {
        APIError(.badRequest, "invalid_request", message)
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, "unauthorized", message, headers: [(.wwwAuthenticate, "Bearer")])
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, "forbidden", message)
    }

    static func notFound(_ message: String) -> APIError {
        APIError(.notFound, "not_found", message)
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> APIError {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(.methodNotAllowed, "method_not_allowed", "\(method.rawValue) is not allowed here; use \(allow)",
                        headers: [(.allow, allow)])
    }

    static func conflict(_ code: String, _ message: String) -> APIError {
        APIError(.conflict, code, message)
    }

    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "payload_too_large", "the request body is larger than the limit of \(limit) bytes",
                 details: ["limitBytes": String(limit)])
    }

    static func rateLimited(retryAfterSeconds: Int, _ message: String, headers: [(HTTPField.Name, String)] = []) -> APIError {
        APIError(.tooManyRequests, "rate_limited", message, details: ["retryAfterSeconds": String(retryAfterSeconds)],
                 headers: [(.retryAfter, String(retryAfterSeconds))] + headers)
    }

    static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(.unsupportedMediaType, "unsupported_media_type", message)
    }

    static func internalError() -> APIError {
        APIError(.internalServerError, "internal_error", "the server failed to answer; the request id identifies it in the logs")
    }

    static func unavailable(_ message: String) -> APIError {
        APIError(.serviceUnavailable, "unavailable", message)
    }
}
