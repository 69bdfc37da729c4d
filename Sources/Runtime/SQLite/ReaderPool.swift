import Foundation

/// Read-only connections, each owned by its own dedicated thread, serving `read` calls in
/// arrival order. WAL lets them read while the writer writes.
final class ReaderPool: Sendable {
    private let queue = BlockingQueue<any PendingWork>()
    private let done = BlockingQueue<Void>()
    private let count: Int

    init(connections: [SQLiteConnection], name: String) {
        count = connections.count
        for (index, connection) in connections.enumerated() {
            let queue = self.queue
            let done = self.done
            // Each connection moves to its own thread here and never leaves it.
            nonisolated(unsafe) let owned = connection
            let thread = Thread {
                let connection = owned
                while let work = queue.popOne() {
                    _ = work.run(connection)
                    work.finish(transactionError: nil)
                }
                connection.close()
                _ = done.push(())
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    func read<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> Value) async throws -> Value {
        try await withUnsafeThrowingContinuation { continuation in
            let work = Work(body: body, continuation: continuation)
            if !queue.push(work) {
                continuation.resume(throwing: StoreError(kind: .closed, message: "the store is closed"))
            }
        }
    }

    /// Lets queued reads finish, then stops every thread (blocking).
    func close() {
        queue.close()
        for _ in 0..<count { _ = done.popOne() }
    }
}
