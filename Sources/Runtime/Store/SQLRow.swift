import CSQLite
public import Foundation
public import PostgresNIO

/// The current row of a query, read by column name (`row["attempts"] as Int`,
/// `row["result"] as Data?`), whichever backend ran it. Valid only inside the closure it is
/// handed to. A name the query does not select is a programming error, reported with the SQL.
public struct SQLRow: ~Copyable {
    enum Source {
        case sqlite(SQLiteStatement)
        case postgres(PostgresRandomAccessRow)
    }

    let source: Source

    init(statement: SQLiteStatement) { source = .sqlite(statement) }
    init(postgres row: PostgresRandomAccessRow) { source = .postgres(row) }

    /// The column's value, decoded as `Value`.
    public subscript<Value: SQLColumnDecodable>(_ name: String) -> Value {
        switch source {
        case .sqlite(let statement): Value(column: statement.column(named: name), of: statement)
        case .postgres(let row): Value(postgres: row[name])
        }
    }
}

/// A type a column decodes as. NULL decodes as nil for optionals and as zero or empty for the
/// others (SQLite's own conversions, kept on PostgreSQL). On PostgreSQL the integer kinds,
/// NUMERIC (what `sum` of a BIGINT gives) and BOOLEAN all decode as integers, and TEXT and
/// BYTEA as bytes.
public protocol SQLColumnDecodable {
    init(column: Int32, of statement: SQLiteStatement)
    init(postgres cell: PostgresCell)
}

extension Int64: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.int64(column) }
    public init(postgres cell: PostgresCell) {
        guard cell.bytes != nil else { self = 0; return }
        switch cell.dataType {
        case .bool: self = (try? cell.decode(Bool.self)) == true ? 1 : 0
        case .numeric: self = NSDecimalNumber(decimal: Self.decode(Decimal.self, cell)).int64Value
        default: self = Self.decode(Int64.self, cell)
        }
    }
}

extension Int: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.int(column) }
    public init(postgres cell: PostgresCell) { self = Int(Int64(postgres: cell)) }
}

extension Bool: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.int64(column) != 0 }
    public init(postgres cell: PostgresCell) { self = Int64(postgres: cell) != 0 }
}

extension Double: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = sqlite3_column_double(statement.handle, column) }
    public init(postgres cell: PostgresCell) {
        guard cell.bytes != nil else { self = 0; return }
        switch cell.dataType {
        case .float4, .float8: self = Self.decode(Double.self, cell)
        case .numeric: self = NSDecimalNumber(decimal: Self.decode(Decimal.self, cell)).doubleValue
        default: self = Double(Int64(postgres: cell))
        }
    }
}

extension String: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.string(column) ?? "" }
    public init(postgres cell: PostgresCell) {
        self = cell.bytes.map { String(buffer: $0) } ?? ""
    }
}

extension Data: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) { self = statement.data(column) ?? Data() }
    public init(postgres cell: PostgresCell) {
        self = cell.bytes.map { Data($0.readableBytesView) } ?? Data()
    }
}

extension Optional: SQLColumnDecodable where Wrapped: SQLColumnDecodable {
    public init(column: Int32, of statement: SQLiteStatement) {
        self = statement.isNull(column) ? nil : Wrapped(column: column, of: statement)
    }
    public init(postgres cell: PostgresCell) {
        self = cell.bytes == nil ? nil : Wrapped(postgres: cell)
    }
}

extension SQLColumnDecodable {
    /// A PostgreSQL cell that does not decode as the code expects is a programming error (a
    /// column type that does not match the schema), reported with the column's name.
    fileprivate static func decode<Value: PostgresDecodable>(_ type: Value.Type, _ cell: PostgresCell) -> Value {
        do { return try cell.decode(Value.self) } catch {
            preconditionFailure("column \(cell.columnName) (\(cell.dataType)) does not decode as \(Value.self): \(error)")
        }
    }
}
