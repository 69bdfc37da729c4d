import Foundation
import HTTPTypes
import Hummingbird
import Runtime
import Synchronization

/// First in the chain: gives the request its id (`x-request-id` when the client sent a sane
/// one, else a new UUID) and trace id (from a W3C `traceparent`, else a new one), and echoes
/// the request id on the response.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let random = Self.randomBytes()
        let requestID = request.headers[.requestID].flatMap(Self.acceptable) ?? Self.requestID(random.0, random.1)
        context.requestID = requestID
        context.traceID = request.headers[.traceparent].flatMap(TraceParent.traceID) ?? Self.traceID(random.2, random.3)
        var response = try await next(request, context)
        response.headers[.requestID] = requestID
        return response
    }

    /// A client's request id: 1–128 visible ASCII characters (it goes into logs and headers).
    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count), value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return value
    }

    /// Four 64-bit words for a request id and a trace id: SplitMix64 over an atomic counter
    /// seeded from the system generator at start. Unique per process, which is all ids for logs
    /// and traces need; they are not secrets (SplitMix64 can be run backwards from one output,
    /// so never use them as tokens). `UUID()` opened /dev/urandom on every call, and `SystemRandomNumberGenerator`
    /// makes a syscall per word: together about 5 % of a request.
    static func randomBytes() -> (UInt64, UInt64, UInt64, UInt64) {
        let base = counter.wrappingAdd(4 &* 0x9E37_79B9_7F4A_7C15, ordering: .relaxed).oldValue
        return (mix(base &+ 0x9E37_79B9_7F4A_7C15), mix(base &+ 2 &* 0x9E37_79B9_7F4A_7C15),
                mix(base &+ 3 &* 0x9E37_79B9_7F4A_7C15), mix(base &+ 4 &* 0x9E37_79B9_7F4A_7C15))
    }

    private static let counter: Atomic<UInt64> = {
        var generator = SystemRandomNumberGenerator()
        return Atomic(generator.next())
    }()

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func traceID(_ high: UInt64, _ low: UInt64) -> String {
        withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { hexString($0) }
    }

    /// A random (version 4) UUID in lowercase, e.g. `6f1c2b1e-3c5d-4f7a-9b2e-1d3c5e7f9a0b`.
    static func requestID(_ high: UInt64, _ low: UInt64) -> String {
        var (high, low) = (high, low)
        high = (high & ~0xF000) | 0x4000  // version 4
        low = (low & ~(0xC000 << 48)) | (0x8000 << 48)  // RFC 4122 variant
        let hex = Array(withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { hexString($0) }.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, digit) in hex.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { out.append(UInt8(ascii: "-")) }
            out.append(digit)
        }
        return String(decoding: out, as: UTF8.self)
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
    static let wallet = Self("x-wallet")!
    static let rateLimit = Self("RateLimit")!
    static let rateLimitPolicy = Self("RateLimit-Policy")!
}
