public import Foundation

/// A statement and its arguments, written as one string: every interpolated value becomes a
/// `?` parameter bound to it, never text spliced into the SQL (GRDB's `SQLInterpolation`,
/// postgres-nio's `PostgresQuery`). So
/// `"UPDATE jobs SET state = \(state) WHERE id = \(id)"` is the text
/// `UPDATE jobs SET state = ? WHERE id = ?` with two arguments, and the connection's statement
/// cache sees one text for every id. Only `\(raw:)` splices, for names the code itself chooses.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var text: String
    public private(set) var arguments: [SQLValue]

    public init(stringLiteral value: String) {
        text = value
        arguments = []
    }

    public init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
        arguments = stringInterpolation.arguments
    }

    /// The text only: arguments may be personal data or secrets, so they stay out of logs.
    public var description: String { text }

    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""
        var arguments: [SQLValue] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount)
            arguments.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        /// A value, bound as a parameter.
        public mutating func appendInterpolation(_ value: some SQLBindable) {
            text += "?"
            arguments.append(value.sqlValue)
        }

        /// An optional value: NULL when nil.
        public mutating func appendInterpolation<Value: SQLBindable>(_ value: Value?) {
            text += "?"
            arguments.append(value?.sqlValue ?? .null)
        }

        /// A list of values for `IN (…)`, one parameter each (`NULL` for an empty list, which
        /// matches nothing).
        public mutating func appendInterpolation(list values: some Sequence<some SQLBindable>) {
            var first = true
            for value in values {
                text += first ? "?" : ", ?"
                arguments.append(value.sqlValue)
                first = false
            }
            if first { text += "NULL" }
        }

        /// Text spliced as it is: only for names and fragments the code writes itself.
        public mutating func appendInterpolation(raw fragment: String) { text += fragment }

        /// Another statement's text and arguments, in place.
        public mutating func appendInterpolation(_ fragment: SQL) {
            text += fragment.text
            arguments += fragment.arguments
        }
    }
}

/// A value as SQLite stores it.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    /// UTF-8 bytes bound as TEXT without making a `String` of them first.
    case utf8(Data)
    case blob(Data)
}

/// A Swift value that binds as one SQL parameter.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int32: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Substring: SQLBindable { public var sqlValue: SQLValue { .text(String(self)) } }
/// Bytes bind as a BLOB (an empty value is a zero-length blob, not NULL).
extension Data: SQLBindable { public var sqlValue: SQLValue { .blob(self) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// Bytes bound as TEXT: JSON documents are stored as text so the sqlite3 shell shows them.
public struct SQLText: SQLBindable {
    public let bytes: Data
    public init(_ bytes: Data) { self.bytes = bytes }
    public var sqlValue: SQLValue { .utf8(bytes) }
}
