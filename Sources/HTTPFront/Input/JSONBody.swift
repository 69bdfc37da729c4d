import Foundation
import Hummingbird
import NIOCore
import Runtime

/// Reads and decodes JSON request bodies: checks the content type, enforces the size limit and
/// the read deadline, and turns decoding failures into 400s that name the field.
struct JSONBody: Sendable {
    let limits: RequestLimits
    /// The clock the read deadline is checked against.
    var clock: any WallClock = SystemClock()

    static let decoder = JSONDecoder()

    /// The body's bytes, at most `limits.maxBodyBytes`, read only when its size fits in the
    /// process's `BodyBudget` (else 503 before reading). The read deadline is checked as each
    /// chunk arrives, against the clock, with no timer of its own: a body still arriving after
    /// `limits.bodyReadTimeout` is 408, and one that stops arriving is closed by the
    /// connection's idle timeout.
    func bytes(_ request: Request) async throws -> ByteBuffer {
        let limit = limits.maxBodyBytes
        let timeout = limits.bodyReadTimeout
        let clock = self.clock
        let deadline = clock.now().addingTimeInterval(timeout.timeInterval)
        let declared = request.headers[.contentLength].flatMap { Int($0) }.map { min(max(0, $0), limit) }
        return try await limits.bodyBudget.reading(declared ?? limit) {
            var buffer = ByteBuffer()
            for try await chunk in request.body {
                guard buffer.readableBytes + chunk.readableBytes <= limit else { throw APIError.payloadTooLarge(limit: limit) }
                guard clock.now() <= deadline else {
                    throw APIError(.requestTimeout, "request_timeout", "the request body did not arrive within \(timeout)")
                }
                // The usual body is one chunk: kept as it came, not copied.
                if buffer.readableBytes == 0 { buffer = chunk } else { buffer.writeImmutableBuffer(chunk) }
            }
            return buffer
        }
    }

    /// Decodes the body as `T`.
    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        try Self.checkContentType(request)
        let buffer = try await bytes(request)
        guard buffer.readableBytes > 0 else { throw APIError.invalid("", "a JSON body is required") }
        return try Self.decode(type, from: Data(buffer: buffer))
    }

    static func checkContentType(_ request: Request) throws {
        guard let type = request.headers[.contentType] else {
            throw APIError.unsupportedMediaType("Content-Type must be application/json")
        }
        let media = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmedOfSpaces.lowercased() }
        guard media == "application/json" else {
            throw APIError.unsupportedMediaType("Content-Type must be application/json, not '\(type.prefix(60))'")
        }
    }

    /// Decodes `data` as `T`, after `JSONScan` refused duplicate keys, out-of-range numbers and,
    /// for a `ClosedJSONBody`, unknown keys and nulls where they are not taken.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONScan.check(data, schema: (T.self as? any ClosedJSONBody.Type)?.schema ?? BodySchema())
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw describe(error)
        } catch let error as APIError {
            throw error
        }
    }

    /// A 400 naming the field: `amountUsd is required`, `limit must be a number`, ….
    static func describe(_ error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .invalid(field, "\(field) is required")
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .invalid(field, "\(field.isEmpty ? "the body" : field) must be \(typeName(type))")
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .invalid(field, "\(field) must be \(typeName(type)), not null")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty { return .invalid("", "the body is not valid JSON") }
            return .invalid(field, "\(field) is invalid: \(context.debugDescription)")
        @unknown default:
            return .invalidRequest("the body could not be read")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var path = ""
        for key in keys {
            if let index = key.intValue { path += "[\(index)]" } else { path += path.isEmpty ? key.stringValue : "." + key.stringValue }
        }
        return path
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }
}
