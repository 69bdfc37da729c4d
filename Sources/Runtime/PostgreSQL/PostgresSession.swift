import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// One PostgreSQL connection driven from one of the backend's blocking threads: it turns `SQL`
/// values into extended-protocol queries (`?` becomes `$1`, `$2`, …) and waits for each answer
/// on that thread, never on the cooperative pool. Confined to its thread, like an SQLite
/// connection; it reconnects when the server dropped it.
final class PostgresSession: @unchecked Sendable {
    // @unchecked: a session is made on one thread and handed once to the thread that owns it
    // for good; only that thread touches its mutable state (as with `SQLiteConnection`).
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let id: Int
    private var connection: PostgresConnection?
    /// Statements sent without waiting (`send`), answered before the next one is read.
    private var pending: [(future: EventLoopFuture<PostgresQueryResult>, text: String)] = []
    /// Statement texts with their placeholders numbered, by the `?` text (one scan per text).
    private var numbered: [String: String] = [:]

    init(configuration: PostgresConnection.Configuration, id: Int, logger: Logger) {
        self.configuration = configuration
        self.id = id
        self.logger = logger
    }

    deinit { close() }

    /// Whether a BEGIN was sent and no COMMIT or ROLLBACK since.
    private var inTransaction = false

    /// The open connection, connecting (again) first when there is none or the server closed
    /// it, but never inside a transaction: the statements after a lost BEGIN must fail, not
    /// run one by one on a new connection.
    func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        pending.removeAll()
        if inTransaction {
            inTransaction = false
            throw StoreError(kind: .unavailable, message: "the connection to PostgreSQL was lost inside a transaction; it rolled back")
        }
        do {
            let opened = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: id, logger: logger
            ).wait()
            connection = opened
            return opened
        } catch {
            throw Self.storeError(error, sql: nil)
        }
    }

    /// Closes the connection (a later statement opens a new one).
    func close() {
        pending.removeAll()
        inTransaction = false
        guard let connection else { return }
        self.connection = nil
        try? connection.close().wait()
    }

    /// Whether the last failure left the connection unusable.
    var isBroken: Bool { connection?.isClosed ?? true }

    // MARK: Statements

    /// Sends a statement and does not wait for it: its answer is checked
    /// before the next statement's (the server runs them in order on this connection), so a
    /// transaction's BEGIN costs no round trip of its own.
    func send(_ sql: SQL) throws {
        let connection = try connected()
        noteTransactionControl(sql.text)
        let query = PostgresQuery(unsafeSQL: numberedText(sql.text), binds: Self.bindings(sql.arguments))
        pending.append((connection.query(query, logger: logger), sql.text))
    }

    private func noteTransactionControl(_ text: String) {
        if text.hasPrefix("BEGIN") { inTransaction = true }
        else if text.hasPrefix("COMMIT") || (text.hasPrefix("ROLLBACK") && !text.hasPrefix("ROLLBACK TO")) { inTransaction = false }
    }

    /// Waits for the statements sent without waiting; throws the first one's failure.
    private func settlePending() throws {
        guard !pending.isEmpty else { return }
        let sent = pending
        pending.removeAll()
        var failure: StoreError?
        for (future, text) in sent {
            do { _ = try future.wait() } catch { failure = failure ?? Self.storeError(error, sql: text) }
        }
        if let failure { throw failure }
    }

    /// Waits for the statements sent without waiting; throws the first one's failure, so a
    /// grouped body's failure is its own and not the next body's.
    func flush() throws { try settlePending() }

    /// Marks where a grouped body starts (`SAVEPOINT grouped`), sent without waiting.
    func savepoint() throws { try send("SAVEPOINT grouped") }

    /// Keeps what the body since `savepoint()` did, as part of the transaction.
    func releaseSavepoint() throws { try send("RELEASE SAVEPOINT grouped") }

    /// Undoes everything since `savepoint()` and forgets it. The answers still awaited are
    /// read first and their failures dropped: they are what is being undone.
    func rollbackToSavepoint() throws {
        try? settlePending()
        try execute("ROLLBACK TO SAVEPOINT grouped")
        try releaseSavepoint()
    }

    /// Sends COMMIT after the statements sent without waiting and waits for all of them: the
    /// connection runs them one after another without this thread waking in between. When one
    /// of them failed the server answers the COMMIT by rolling back, and that failure is thrown.
    func commit() throws {
        try send("COMMIT")
        try settlePending()
    }

    /// Runs statements with no arguments (schema, transaction control), one at a time: each
    /// statement of `text` ends with a semicolon at the end of a line (outside `$$` bodies).
    func execute(_ text: String) throws {
        let connection = try connected()
        try settlePending()
        noteTransactionControl(text)
        for statement in Self.statements(of: text) {
            let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";")))
            guard !trimmed.isEmpty, !trimmed.split(separator: "\n").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") })
            else { continue }
            do { _ = try connection.query(PostgresQuery(unsafeSQL: trimmed), logger: logger).wait() } catch {
                throw Self.storeError(error, sql: trimmed)
            }
        }
    }

    /// `text` cut after each semicolon that ends a line, except inside a `$$`-quoted body.
    static func statements(of text: String) -> [String] {
        var statements: [String] = [], current = ""
        for (index, part) in text.components(separatedBy: "$$").enumerated() {
            if index > 0 { current += "$$" }
            guard index.isMultiple(of: 2) else {
                current += part
                continue
            }
            let pieces = part.components(separatedBy: ";\n")
            current += pieces[0]
            for piece in pieces.dropFirst() {
                statements.append(current)
                current = piece
            }
        }
        statements.append(current)
        return statements
    }

    @discardableResult
    func run(_ sql: SQL) throws -> Int { try query(sql).metadata.rows ?? 0 }

    func forEach(_ sql: SQL, _ body: (borrowing SQLRow) throws -> Void) throws {
        for row in try query(sql).rows { try body(SQLRow(postgres: row.makeRandomAccess())) }
    }

    func first<Value>(_ sql: SQL, _ make: (borrowing SQLRow) throws -> Value) throws -> Value? {
        guard let row = try query(sql).rows.first else { return nil }
        return try make(SQLRow(postgres: row.makeRandomAccess()))
    }

    private func query(_ sql: SQL) throws -> PostgresQueryResult {
        let connection = try connected()
        let query = PostgresQuery(unsafeSQL: numberedText(sql.text), binds: Self.bindings(sql.arguments))
        let answer = connection.query(query, logger: logger)
        try settlePending()
        do { return try answer.wait() } catch { throw Self.storeError(error, sql: sql.text) }
    }

    /// `text` with each `?` outside quotes made `$1`, `$2`, … in order.
    private func numberedText(_ text: String) -> String {
        if let known = numbered[text] { return known }
        var out = "", index = 0, quote: Character?
        out.reserveCapacity(text.utf8.count + 16)
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                index += 1
                out += "$\(index)"
            } else {
                out.append(character)
            }
        }
        if numbered.count > 4_096 { numbered.removeAll() }  // texts built per call (IN lists) must not grow it forever
        numbered[text] = out
        return out
    }

    private static func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let integer): bindings.append(integer)
            case .real(let real): bindings.append(real)
            case .text(let text): bindings.append(text)
            case .utf8(let bytes): bindings.append(String(decoding: bytes, as: UTF8.self))
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }

    // MARK: Errors

    /// A PostgreSQL failure as a `StoreError`: SQLSTATE classes become the kinds callers switch
    /// on, and a lost or refused connection is `unavailable` (a 503 that says retry).
    static func storeError(_ error: any Error, sql: String?) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? PSQLError else {
            return StoreError(kind: .unavailable, message: "cannot reach PostgreSQL: \(error)", sql: sql)
        }
        guard error.code == .server, let info = error.serverInfo else {
            return StoreError(kind: .unavailable, message: "PostgreSQL connection failed (\(error.code))\(error.underlying.map { ": \($0)" } ?? "")",
                              sql: sql)
        }
        let state = info[.sqlState] ?? "?????"
        let message = "\(info[.message] ?? "error") (SQLSTATE \(state))"
        let kind: StoreError.Kind =
            if ["40001", "40P01", "55P03"].contains(state) { .busy }  // serialization failure, deadlock, lock not available
            else if state.hasPrefix("23") { .constraint }
            else if state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state) { .unavailable }
            else if state == "53100" { .diskFull }
            else if state == "25006" { .readOnly }
            else if state == "3D000" || state.hasPrefix("28") { .cannotOpen }
            else if ["22021", "22P05"].contains(state) { .unstorableText }  // NUL or a character outside UTF-8 in text
            else { .other }
        return StoreError(kind: kind, message: message, sql: sql)
    }
}
