import Foundation
import Hummingbird
import HTTPTypes

/// `page` of the envelope on list endpoints.
struct PageInfo: Sendable {
    var nextCursor: String?
    var hasMore: Bool
    var limit: Int
}

/// A list page's rows and its paging facts.
struct Page<Row: Encodable> {
    var rows: [Row]
    var info: PageInfo
}

/// Renders every response body as the envelope `{"data", "error", "page", "meta"}`, all four
/// keys always present (`null` when they do not apply), so clients parse one shape.
///
/// `data` and `error` are encoded by `JSONEncoder`; the frame around them (the small `page` and
/// `meta` objects of ids and numbers) is written directly, which halved the encoding cost of a
/// small response (JSONEncoder builds a value tree per key; the frame is the same every time).
enum EnvelopeResponse {
    /// `2026-11-23T14:25:18.357Z`.
    static let dateFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// Shared: JSONEncoder is thread-safe for concurrent `encode` calls.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Self.dateFormat))
        }
        return encoder
    }()

    /// A success: `data` set, `error` null.
    static func success(_ data: some Encodable, status: HTTPResponse.Status = .ok, page: PageInfo? = nil,
                        context: some APIRequestContext) throws -> Response {
        let payload = try encoder.encode(data)
        return response(status: status, data: payload, error: nil, page: page, context: context)
    }

    /// A list page.
    static func list<Row: Encodable>(_ page: Page<Row>, context: some APIRequestContext) throws -> Response {
        try success(page.rows, page: page.info, context: context)
    }

    /// An error: `data` null, `error` set, with the error's own headers.
    static func failure(_ error: APIError, context: some APIRequestContext) -> Response {
        let body = ErrorBody(code: error.code, message: error.message, details: error.details.isEmpty ? nil : error.details)
        let encoded = (try? encoder.encode(body)) ?? Data(#"{"code":"internal_error","message":"unencodable error"}"#.utf8)
        var response = response(status: error.status, data: nil, error: encoded, page: nil, context: context)
        for (name, value) in error.headers { response.headers[name] = value }
        return response
    }

    private struct ErrorBody: Encodable {
        var code: String
        var message: String
        var details: [String: String]?
    }

    private static func response(status: HTTPResponse.Status, data: Data?, error: Data?, page: PageInfo?,
                                 context: some APIRequestContext) -> Response {
        var out = ByteBuffer()
        out.reserveCapacity((data?.count ?? 0) + (error?.count ?? 0) + 200)
        out.writeStaticString(#"{"data":"#)
        if let data { out.writeBytes(data) } else { out.writeStaticString("null") }
        out.writeStaticString(#","error":"#)
        if let error { out.writeBytes(error) } else { out.writeStaticString("null") }
        out.writeStaticString(#","page":"#)
        if let page {
            out.writeStaticString(#"{"next_cursor":"#)
            JSONText.write(page.nextCursor, to: &out)
            out.writeStaticString(page.hasMore ? #","has_more":true,"limit":"# : #","has_more":false,"limit":"#)
            out.writeString(String(page.limit))
            out.writeStaticString("}")
        } else {
            out.writeStaticString("null")
        }
        out.writeStaticString(#","meta":{"request_id":"#)
        JSONText.write(context.requestID, to: &out)
        out.writeStaticString(#","trace_id":"#)
        JSONText.write(context.traceID, to: &out)
        out.writeStaticString(#","tenant_id":"#)
        JSONText.write(context.authenticated?.tenant, to: &out)
        out.writeStaticString("}}")
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: out))
    }
}

/// JSON string literals (RFC 8259 §7): quotes, backslashes and control characters escaped,
/// everything else written as UTF-8.
enum JSONText {
    static func write(_ text: String?, to out: inout ByteBuffer) {
        guard let text else { out.writeStaticString("null"); return }
        out.writeInteger(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.writeStaticString(#"\""#)
            case UInt8(ascii: "\\"): out.writeStaticString(#"\\"#)
            case 0x0A: out.writeStaticString(#"\n"#)
            case 0x0D: out.writeStaticString(#"\r"#)
            case 0x09: out.writeStaticString(#"\t"#)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.writeStaticString(#"\u00"#)
                out.writeInteger(hex[Int(byte >> 4)])
                out.writeInteger(hex[Int(byte & 0x0F)])
            default: out.writeInteger(byte)
            }
        }
        out.writeInteger(UInt8(ascii: "\""))
    }
}
