import Foundation
import HTTPTypes
import Hummingbird

/// The body of every response, success or error: `{data, error, page, meta}`. All four keys
/// are always present (`null` when they do not apply), so clients can parse one shape.
struct Envelope<Payload: Encodable>: Encodable {
    var data: Payload?
    var error: ErrorBody?
    var page: PageInfo?
    var meta: ResponseMeta

    enum CodingKeys: String, CodingKey { case data, error, page, meta }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(error, forKey: .error)
        try container.encode(page, forKey: .page)
        try container.encode(meta, forKey: .meta)
    }
}

/// The `data` type of an error envelope (always null).
struct NoData: Encodable {}

/// `error` of the envelope.
struct ErrorBody: Encodable {
    var code: String
    var message: String
    var details: [String: String]?
}

/// `page` of the envelope on list endpoints.
struct PageInfo: Encodable {
    var nextCursor: String?
    var hasMore: Bool
    var limit: Int

    enum CodingKeys: String, CodingKey {
        case nextCursor = "next_cursor", hasMore = "has_more", limit
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(nextCursor, forKey: .nextCursor)
        try container.encode(hasMore, forKey: .hasMore)
        try container.encode(limit, forKey: .limit)
    }
}

/// `meta` of the envelope: who asked and how to find the request in logs and traces.
struct ResponseMeta: Encodable {
    var requestID: String
    var traceID: String
    var tenantID: String?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", traceID = "trace_id", tenantID = "tenant_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(traceID, forKey: .traceID)
        try container.encode(tenantID, forKey: .tenantID)
    }
}

/// A list page's rows and its paging facts.
struct Page<Row: Encodable> {
    var rows: [Row]
    var info: PageInfo
}

/// Renders envelopes as JSON responses.
enum EnvelopeResponse {
    /// `2026-11-23T14:25:18.357Z`.
    static let dateFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// Shared: JSONEncoder is thread-safe for concurrent `encode` calls.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Self.dateFormat))
        }
        return encoder
    }()

    static func meta(_ context: AppRequestContext) -> ResponseMeta {
        ResponseMeta(requestID: context.requestID, traceID: context.traceID, tenantID: context.principal?.tenant)
    }

    /// A success: `data` set, `error` null.
    static func success(_ data: some Encodable, status: HTTPResponse.Status = .ok, page: PageInfo? = nil,
                        context: AppRequestContext) throws -> Response {
        try json(Envelope(data: data, error: nil, page: page, meta: meta(context)), status: status)
    }

    /// A list page.
    static func list<Row: Encodable>(_ page: Page<Row>, context: AppRequestContext) throws -> Response {
        try success(page.rows, page: page.info, context: context)
    }

    /// An error: `data` null, `error` set, with the error's own headers.
    static func failure(_ error: APIError, context: AppRequestContext) -> Response {
        let envelope = Envelope<NoData>(data: nil, error: ErrorBody(code: error.code, message: error.message,
                                                                   details: error.details.isEmpty ? nil : error.details),
                                        page: nil, meta: meta(context))
        var response = (try? json(envelope, status: error.status)) ?? Response(status: error.status)
        for (name, value) in error.headers { response.headers[name] = value }
        return response
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let body = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
