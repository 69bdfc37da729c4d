/// One caller's unit of work for a store thread, with the continuation to resume when the
/// work is durable (writes) or done (reads).
protocol PendingWork: AnyObject, Sendable {
    /// Runs the body on the store thread; returns false if it threw.
    func run(_ connection: SQLiteConnection) -> Bool
    /// Resumes the caller: with the body's result, or with `error` if the transaction that
    /// held the body's changes did not commit.
    func finish(transactionError error: (any Error)?)
}

final class Work<Value: Sendable>: PendingWork, @unchecked Sendable {
    // @unchecked: `result` is written by `run` and read by `finish`, both on the one store
    // thread that took this item; `continuation` is resumed exactly once, by `finish`.
    private let body: (SQLiteConnection) throws -> Value
    private let continuation: UnsafeContinuation<Value, any Error>
    private var result: Result<Value, any Error>?

    init(body: @escaping (SQLiteConnection) throws -> Value, continuation: UnsafeContinuation<Value, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ connection: SQLiteConnection) -> Bool {
        defer { connection.resetStatementsInUse() }
        do {
            result = .success(try body(connection))
            return true
        } catch {
            result = .failure(error)
            return false
        }
    }

    func finish(transactionError error: (any Error)?) {
        switch (result, error) {
        case (.failure(let own)?, _): continuation.resume(throwing: own)
        case (_, let error?): continuation.resume(throwing: error)
        case (.success(let value)?, nil): continuation.resume(returning: value)
        case (nil, nil): continuation.resume(throwing: StoreError(kind: .other, message: "work was never run"))
        }
    }
}
