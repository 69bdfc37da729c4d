import Foundation
import Hummingbird

/// `?cursor=…&limit=…` of a list endpoint. Cursors are opaque to clients: base64url of the list's
/// name and the last row id of the previous page, so a cursor of one list is refused by another,
/// and rows inserted while a client pages (higher ids) never shift the pages it has not read.
struct Paging: Sendable {
    var limit: Int
    /// The id the next page starts below; nil for the first page.
    var before: Int64?

    static let defaultLimit = 20
    static let maxLimit = 100

    init(_ request: Request, list: String) throws {
        let query = request.uri.queryParameters
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...Self.maxLimit).contains(value) else {
                throw APIError.invalid("limit", "limit must be an integer from 1 to \(Self.maxLimit)")
            }
            limit = value
        } else {
            limit = Self.defaultLimit
        }
        if let text = query["cursor"], !text.isEmpty {
            guard let id = Self.decode(String(text), list: list) else {
                throw APIError.invalid("cursor", "cursor is not one this list gave out")
            }
            before = id
        }
    }

    /// The page of `rows` (fetched with `limit + 1` to learn whether more follow).
    func page<Row, Shown: Encodable>(_ rows: [Row], list: String, id: (Row) -> Int64, show: (Row) -> Shown) -> Page<Shown> {
        let hasMore = rows.count > limit
        let shown = rows.prefix(limit)
        let next = hasMore ? shown.last.map { Self.encode(id($0), list: list) } : nil
        return Page(rows: shown.map(show), info: PageInfo(nextCursor: next, hasMore: hasMore, limit: limit))
    }

    static func encode(_ id: Int64, list: String) -> String {
        Data("\(list):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String, list: String) -> Int64? {
        guard cursor.utf8.count <= 200 else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
              text.hasPrefix(list + ":"), let id = Int64(text.dropFirst(list.utf8.count + 1)), id > 0
        else { return nil }
        return id
    }
}
