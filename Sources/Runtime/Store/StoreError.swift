import CSQLite

/// An error from the store: a stable kind, the database's message (with PostgreSQL's SQLSTATE)
/// and the statement that failed. Bound arguments are never included (they may hold personal
/// data or secrets).
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// A stable category that callers can switch on without knowing SQLite's result codes.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case busy, diskFull, readOnly, corrupt, cannotOpen, constraint, schema, closed, unavailable, unstorableText, other }
        private let value: Value
        /// Another connection or process holds the write lock for longer than the busy timeout.
        public static let busy = Kind(value: .busy)
        /// The disk (or the database's page limit) is full.
        public static let diskFull = Kind(value: .diskFull)
        /// The file or the connection cannot be written.
        public static let readOnly = Kind(value: .readOnly)
        /// The file is not a SQLite database or is damaged.
        public static let corrupt = Kind(value: .corrupt)
        /// The file cannot be opened or created.
        public static let cannotOpen = Kind(value: .cannotOpen)
        /// A UNIQUE, NOT NULL, CHECK or foreign-key constraint failed.
        public static let constraint = Kind(value: .constraint)
        /// The schema is newer than this build, or a migration failed.
        public static let schema = Kind(value: .schema)
        /// The store was closed.
        public static let closed = Kind(value: .closed)
        /// The database server cannot be reached, or dropped the connection mid-way (PostgreSQL).
        public static let unavailable = Kind(value: .unavailable)
        /// A text value holds a character the database cannot store (NUL, on PostgreSQL): the
        /// caller's input, refused as it is.
        public static let unstorableText = Kind(value: .unstorableText)
        /// Any other failure.
        public static let other = Kind(value: .other)
        public var description: String { value.rawValue }
    }

    public let kind: Kind
    /// SQLite's extended result code (0 when the error did not come from SQLite).
    public let resultCode: Int32
    public let message: String
    /// The SQL that failed, if any; never its arguments.
    public let sql: String?

    public init(kind: Kind, resultCode: Int32 = 0, message: String, sql: String? = nil) {
        self.kind = kind
        self.resultCode = resultCode
        self.message = message
        self.sql = sql
    }

    init(resultCode: Int32, message: String, sql: String?) {
        self.init(kind: Self.kind(of: resultCode), resultCode: resultCode, message: message, sql: sql)
    }

    static func kind(of code: Int32) -> Kind {
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_FULL: .diskFull
        case SQLITE_READONLY, SQLITE_PERM: .readOnly
        case SQLITE_CORRUPT, SQLITE_NOTADB: .corrupt
        case SQLITE_CANTOPEN: .cannotOpen
        case SQLITE_CONSTRAINT: .constraint
        default: .other
        }
    }

    public var description: String {
        var text = resultCode == 0 ? "store error (\(kind)): \(message)" : "store error (\(kind), SQLite code \(resultCode)): \(message)"
        if let sql { text += " — while running: \(sql)" }
        return text
    }
}
