import HTTPTypes
import Hummingbird
import Jobs
import Runtime

/// The one place where errors of other layers become API errors.
enum ErrorMapping {
    static let paymentRequired = HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")

    static func apiError(for error: any Error, method: HTTPRequest.Method) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            return http(error)
        case let error as WalletError:
            return wallet(error)
        case let error as MoneyError:
            return .invalid("", error.description)
        case let error as IdempotencyError:
            return .invalid("Idempotency-Key", error.message)
        case let error as ScheduleError:
            return .invalid("", error.message)
        case let error as RuntimeError:
            return error.code == .closed ? .unavailable("the server is shutting down") : .invalidRequest(error.message)
        case let error as StoreError:
            return store(error)
        case let error as CompletionError:
            return completion(error, method: method)
        case let error as CompletionFieldError:
            return .invalid(error.field, error.message)
        case is CancellationError:
            return .unavailable("the request was cancelled (the server is shutting down)")
        default:
            return .internalError()
        }
    }

    private static func completion(_ error: CompletionError, method: HTTPRequest.Method) -> APIError {
        switch error {
        case .wallet(let error): return wallet(error)
        case .routing(let error, let job):
            switch error.kind {
            case .rateLimited(let wait): return .rateLimited(retryAfterSeconds: max(1, Int(wait.timeInterval.rounded(.up))), error.message)
            case .invalidRequest, .unknownModel, .unknownUseCase: return .invalidRequest(error.message)
            case .unavailable: return APIError(.badGateway, "provider_unavailable", error.message, details: ["jobId": job.description])
            }
        case .inProgress: return .conflict("idempotency_conflict", error.message)
        case .cancelled: return .conflict("cancelled", error.message)
        case .timedOut(let job):
            return APIError(.gatewayTimeout, "timeout", error.message, details: ["jobId": job.description])
        case .unavailable(let message): return .unavailable(message)
        case .store(let error): return apiError(for: error, method: method)
        }
    }

    private static func http(_ error: HTTPError) -> APIError {
        switch error.status {
        case .notFound: .notFound("no such route")
        case .contentTooLarge: APIError(.contentTooLarge, "payload_too_large", "the request body is too large")
        case .badRequest: .invalidRequest(error.body ?? "the request is malformed")
        case .unauthorized: .unauthorized(error.body ?? "authentication is required")
        case .unsupportedMediaType: .unsupportedMediaType(error.body ?? "unsupported content type")
        case .methodNotAllowed: APIError(.methodNotAllowed, "method_not_allowed", error.body ?? "method not allowed")
        case .requestTimeout: APIError(.requestTimeout, "request_timeout", "the request body was not received in time")
        default:
            error.status.code < 500
                ? APIError(error.status, "invalid_request", error.body ?? error.status.reasonPhrase)
                : .internalError()
        }
    }

    private static func wallet(_ error: WalletError) -> APIError {
        switch error.code {
        case .insufficientCredits: APIError(Self.paymentRequired, "insufficient_credits", error.message)
        case .budgetExceeded: APIError(Self.paymentRequired, "budget_exceeded", error.message)
        case .notFound: .notFound(error.message)
        case .invalidRequest: .invalidRequest(error.message)
        // A code added later is refused as the caller's, under its own stable name.
        default: APIError(.badRequest, error.code.rawValue, error.message)
        }
    }

    private static func store(_ error: StoreError) -> APIError {
        switch error.kind {
        case .busy: APIError(.serviceUnavailable, "unavailable", "the database is busy; retry shortly", headers: [(.retryAfter, "1")])
        case .diskFull: APIError(.serviceUnavailable, "unavailable", "the server's disk is full; writes are refused")
        case .readOnly: APIError(.serviceUnavailable, "unavailable", "the server's database is read-only")
        case .closed: .unavailable("the server is shutting down")
        case .unavailable:
            APIError(.serviceUnavailable, "unavailable", "the database cannot be reached; retry shortly", headers: [(.retryAfter, "1")])
        case .unstorableText: APIError(.badRequest, "invalid_request", "a text value holds a NUL character, which cannot be stored")
        default: .internalError()
        }
    }
}
