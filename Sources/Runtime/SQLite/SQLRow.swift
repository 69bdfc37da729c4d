import CSQLite
public import Foundation

/// The current row of a stepped statement, read by column name
/// (`row["attempts"] as Int`, `row["result"] as Data?`). Valid only inside the closure it is
/// handed to. A name the query does not select is a programming error, reported with the SQL.
public struct SQLRow: ~Copyable {
    let statement: SQLiteStatement

    /// The column's value, decoded as `Value`.
    public subscript<Value: SQLColumnDecodable>(_ name: String) -> Value {
        Value(column: statement.column(named: name), of: statement)
    }
}

/// A type a column decodes as. NULL decodes as nil for optionals and as zero or empty for the
/// others (SQLite's own conversions).
public protocol SQLColumnDecodable {
    init(column: Int32, of statement: SQLiteStatement)
}

extension Int64: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.int64(column) }
}

extension Int: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.int(column) }
}

extension Bool: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.int64(column) != 0 }
}

extension Double: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = sqlite3_column_double(statement.handle, column) }
}

extension String: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.string(column) ?? "" }
}

extension Data: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.data(column) ?? Data() }
}

extension Optional: SQLColumnDecodable where Wrapped: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) {
        self = statement.isNull(column) ? nil : Wrapped(column: column, of: statement)
    }
}
