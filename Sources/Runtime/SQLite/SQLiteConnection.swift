import CSQLite
import Foundation

/// One SQLite connection with a cache of prepared statements.
///
/// A connection is confined to the thread that owns it (the store's writer thread or one
/// reader thread); it is handed to closures that run there and must not escape them.
public final class SQLiteConnection {
    let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]
    /// Statements handed out since the last `resetStatementsInUse`.
    private var inUse: [SQLiteStatement] = []
    private var isClosed = false
    public let path: String

    /// Opens (or creates) the database at `path`. `readOnly` opens without write access.
    init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw StoreError(resultCode: code, message: "cannot open database at \(path): \(message)", sql: nil)
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        self.handle = db
        self.path = path
    }

    deinit { close() }

    /// Finalizes the cached statements and closes the connection; later calls fail.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        inUse.removeAll()
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Returns the cached prepared statement for `sql`, reset and ready to bind.
    public func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            inUse.append(cached)
            return cached
        }
        var stmt: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard code == SQLITE_OK, let stmt else { throw error(code: code, sql: sql) }
        let statement = SQLiteStatement(handle: stmt, sql: sql, connection: self)
        statements[sql] = statement
        inUse.append(statement)
        return statement
    }

    /// Resets every statement handed out since the last call, so that none is left mid-way
    /// (a write statement left mid-way would block COMMIT). The store's threads call this
    /// after each caller's body.
    func resetStatementsInUse() {
        for statement in inUse { sqlite3_reset(statement.handle) }
        inUse.removeAll(keepingCapacity: true)
    }

    /// Runs one or more statements that take no arguments (schema, pragmas, transactions).
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(message)
            throw StoreError(resultCode: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// Runs a query that returns a single integer (or nil for no row / NULL).
    public func scalar(_ sql: String) throws -> Int64? {
        let stmt = try statement(sql)
        defer { stmt.reset() }
        guard try stmt.step(), !stmt.isNull(0) else { return nil }
        return stmt.int64(0)
    }

    // MARK: Queries as values

    /// The cached statement for `sql`'s text with its arguments bound.
    public func prepared(_ sql: SQL) throws -> SQLiteStatement {
        let statement = try statement(sql.text)
        statement.bind(sql.arguments)
        return statement
    }

    /// Runs a statement that returns no rows; returns how many rows it changed.
    @discardableResult
    public func run(_ sql: SQL) throws -> Int {
        try prepared(sql).run()
        return changes
    }

    /// Calls `body` with each row, in order.
    public func forEach(_ sql: SQL, _ body: (borrowing SQLRow) throws -> Void) throws {
        let statement = try prepared(sql)
        defer { statement.reset() }
        while try statement.step() { try body(SQLRow(statement: statement)) }
    }

    /// Every row, made into values by `make`.
    public func all<Value>(_ sql: SQL, _ make: (borrowing SQLRow) throws -> Value) throws -> [Value] {
        var values: [Value] = []
        try forEach(sql) { values.append(try make($0)) }
        return values
    }

    /// The first row made into a value, or nil when there is none.
    public func first<Value>(_ sql: SQL, _ make: (borrowing SQLRow) throws -> Value) throws -> Value? {
        let statement = try prepared(sql)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return try make(SQLRow(statement: statement))
    }

    /// Rows changed by every INSERT, UPDATE or DELETE since the connection opened.
    var totalChanges: Int { Int(sqlite3_total_changes(handle)) }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last row inserted. Cheaper than `RETURNING`, which makes SQLite
    /// build a temporary table for every statement that uses it.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// True when no transaction is open (SQLite rolls back by itself on some errors).
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    func error(code: Int32, sql: String?) -> StoreError {
        let extended = sqlite3_extended_errcode(handle)
        return StoreError(resultCode: extended == 0 ? code : extended,
                          message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}
