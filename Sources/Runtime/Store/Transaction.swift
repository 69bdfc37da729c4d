/// An open transaction of the store, handed to the body of `Backend.write` (or `read`). Every
/// repository call that takes it joins that transaction, so a caller's writes across
/// repositories (a job, its reservation and its idempotency record) commit together or not at
/// all. Valid only inside the body that received it; what it holds belongs to the backend.
///
/// Its query methods take `SQL` values (interpolated binds) and read rows by column name, so
/// code written against it names no backend.
public struct Transaction {
    let connection: SQLiteConnection

    init(_ connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Runs a statement that returns no rows; returns how many rows it changed.
    @discardableResult
    public func run(_ sql: SQL) throws -> Int { try connection.run(sql) }

    /// Calls `body` with each row, in order.
    public func forEach(_ sql: SQL, _ body: (borrowing SQLRow) throws -> Void) throws { try connection.forEach(sql, body) }

    /// Every row, made into values by `make`.
    public func all<Value>(_ sql: SQL, _ make: (borrowing SQLRow) throws -> Value) throws -> [Value] {
        try connection.all(sql, make)
    }

    /// The first row made into a value, or nil when there is none.
    public func first<Value>(_ sql: SQL, _ make: (borrowing SQLRow) throws -> Value) throws -> Value? {
        try connection.first(sql, make)
    }

    /// The id the last INSERT gave its row.
    public var lastInsertID: Int64 { connection.lastInsertRowID }
}

extension SQLiteConnection {
    /// This connection's open transaction as a `Transaction`, for SQLite-bound code that joins
    /// repository calls (`JobRuntime.enqueue(_:now:in:)`) to its own writes in one commit.
    public var transaction: Transaction { Transaction(self) }
}
