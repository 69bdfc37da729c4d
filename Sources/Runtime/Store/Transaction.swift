/// An open transaction of the store, handed to the body of `Backend.write` (or `read`). Every
/// repository call that takes it joins that transaction, so a caller's writes across
/// repositories (a job, its reservation and its idempotency record) commit together or not at
/// all. Valid only inside the body that received it, on the thread that runs that body; what
/// it holds belongs to the backend.
///
/// Its query methods take `SQL` values (interpolated binds) and read rows by column name, so
/// code written against it names no backend. Where the two dialects differ, `dialect` says
/// which one the statement is for.
public struct Transaction {
    enum Session {
        case sqlite(SQLiteConnection)
        case postgres(PostgresSession)
    }

    let session: Session

    init(_ connection: SQLiteConnection) { session = .sqlite(connection) }
    init(_ session: PostgresSession) { self.session = .postgres(session) }

    /// The SQL dialect this transaction speaks.
    public var dialect: SQLDialect {
        switch session {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// The SQLite connection under this transaction: only SQLite repositories ask for it.
    var connection: SQLiteConnection {
        guard case .sqlite(let connection) = session else {
            preconditionFailure("an SQLite repository was handed a PostgreSQL transaction")
        }
        return connection
    }

    /// Runs a statement that returns no rows; returns how many rows it changed.
    @discardableResult
    public func run(_ sql: SQL) throws -> Int {
        switch session {
        case .sqlite(let connection): try connection.run(sql)
        case .postgres(let session): try session.run(sql)
        }
    }

    /// Runs a statement whose answer the body does not need: PostgreSQL sends it without
    /// waiting (its failure surfaces at the next statement, or the commit); SQLite runs it.
    public func send(_ sql: SQL) throws {
        switch session {
        case .sqlite(let connection): try connection.run(sql)
        case .postgres(let session): try session.send(sql)
        }
    }

    /// Runs an INSERT of one row into a table whose key is `id`; returns the id it was given.
    public func insertReturningID(_ sql: SQL) throws -> Int64 {
        switch session {
        case .sqlite(let connection):
            try connection.run(sql)
            return connection.lastInsertRowID
        case .postgres(let session):
            guard let id = try session.first("\(sql) RETURNING id", { $0["id"] as Int64 }) else {
                throw StoreError(kind: .constraint, message: "the insert made no row")
            }
            return id
        }
    }

    /// Calls `body` with each row, in order.
    public func forEach(_ sql: SQL, _ body: (borrowing SQLRow) throws -> Void) throws {
        switch session {
        case .sqlite(let connection): try connection.forEach(sql, body)
        case .postgres(let session): try session.forEach(sql, body)
        }
    }

    /// Every row, made into values by `make`.
    public func all<Value>(_ sql: SQL, _ make: (borrowing SQLRow) throws -> Value) throws -> [Value] {
        var values: [Value] = []
        try forEach(sql) { values.append(try make($0)) }
        return values
    }

    /// The first row made into a value, or nil when there is none.
    public func first<Value>(_ sql: SQL, _ make: (borrowing SQLRow) throws -> Value) throws -> Value? {
        switch session {
        case .sqlite(let connection): try connection.first(sql, make)
        case .postgres(let session): try session.first(sql, make)
        }
    }
}

/// The SQL a transaction speaks, for the few statements the two backends write differently.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// The clause that locks the rows a SELECT reads until the transaction ends: empty on
    /// SQLite, whose one writer serialises every write transaction anyway.
    public var forUpdate: String { self == .postgres ? " FOR UPDATE" : "" }
}

extension SQLiteConnection {
    /// This connection's open transaction as a `Transaction`, for SQLite-bound code that joins
    /// repository calls (`JobRuntime.enqueue(_:now:in:)`) to its own writes in one commit.
    public var transaction: Transaction { Transaction(self) }
}
