import Foundation
import HTTPTypes
import Hummingbird

/// First in the chain: gives the request its id (`x-request-id` when the client sent a sane
/// one, else a new UUID) and trace id (from a W3C `traceparent`, else a new one), and echoes
/// the request id on the response.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = request.headers[.requestID].flatMap(Self.acceptable) ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        context.traceID = request.headers[.traceparent].flatMap(Self.traceID) ?? Self.newTraceID()
        var response = try await next(request, context)
        response.headers[.requestID] = requestID
        return response
    }

    /// A client's request id: 1–128 visible ASCII characters (it goes into logs and headers).
    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count), value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return value
    }

    /// The trace id of `traceparent: 00-<32 hex>-<16 hex>-<2 hex>` (not all zeros).
    static func traceID(_ header: String) -> String? {
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].utf8.count == 2, parts[1].utf8.count == 32, parts[2].utf8.count == 16,
              parts[1].utf8.allSatisfy(Self.isLowerHex), parts[1].utf8.contains(where: { $0 != UInt8(ascii: "0") })
        else { return nil }
        return String(parts[1])
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    static func newTraceID() -> String {
        let uuid = UUID().uuid
        return withUnsafeBytes(of: uuid) { hexString($0) }
    }
}

extension HTTPField.Name {
    static let requestID = Self("x-request-id")!
    static let traceparent = Self("traceparent")!
    static let tenantID = Self("x-tenant-id")!
    static let internalAPIKey = Self("x-internal-api-key")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotencyReplayed = Self("Idempotency-Replayed")!
    static let budgetMaxUSD = Self("x-budget-max-usd")!
    static let rateLimit = Self("RateLimit")!
    static let rateLimitPolicy = Self("RateLimit-Policy")!
}
