public import Foundation

/// The response an idempotent request produced, as it will be replayed: the status, the
/// headers that matter (in order, names as the caller gave them) and the body bytes. A plain
/// value; `IdempotencyStore.complete` checks that it can be stored and replayed unchanged.
public struct StoredResponse: Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status, 100–599.
    public var status: Int
    /// Header fields to send again on a replay (e.g. `content-type`, `location`), in order.
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (compared case-insensitively), if any.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public static func == (lhs: StoredResponse, rhs: StoredResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body && lhs.headers.count == rhs.headers.count
            && zip(lhs.headers, rhs.headers).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public var description: String { "\(status), \(headers.count) header(s), \(body.count) byte(s)" }
}
