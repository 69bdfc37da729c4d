import Foundation
import Synchronization

/// The store's single writer: a dedicated thread that owns the read-write connection and
/// group-commits. Every caller's work that is waiting when the thread wakes runs in one
/// transaction (each body in its own savepoint, so one failing body rolls back only itself);
/// after the COMMIT every caller is resumed. Nothing here runs on the cooperative pool.
final class GroupCommitWriter: Sendable {
    private let queue = BlockingQueue<any PendingWork>()
    private let stopped = BlockingQueue<Void>()
    private let counters = WriterCounters()

    /// Starts the writer thread. `connection` must not be touched by anyone else afterwards.
    init(connection: SQLiteConnection, name: String) {
        let queue = self.queue
        let stopped = self.stopped
        let counters = self.counters
        // The connection moves to the thread here and never leaves it.
        nonisolated(unsafe) let owned = connection
        let thread = Thread {
            let loop = WriterLoop(connection: owned, counters: counters)
            while let batch = queue.popAll() {
                counters.transactions.add(1, ordering: .relaxed)
                counters.writes.add(batch.count, ordering: .relaxed)
                loop.commit(batch)
            }
            loop.close()
            _ = stopped.push(())
            stopped.close()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Runs `body` inside the next group commit and returns once its transaction committed.
    func write<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> Value) async throws -> Value {
        try await withUnsafeThrowingContinuation { continuation in
            let work = Work(body: body, continuation: continuation)
            if !queue.push(work) {
                continuation.resume(throwing: StoreError(kind: .closed, message: "the store is closed"))
            }
        }
    }

    /// Commits that changed rows so far: a refused write is only known to be over once this moves
    /// (a commit that changed nothing needs no disk space, so it succeeds on a full disk too).
    var changingCommits: Int { counters.changingCommits.load(ordering: .acquiring) }

    /// Writes waiting for the next group commit.
    var pendingCount: Int { queue.count }

    /// Group commits and writes so far.
    var statistics: StoreStatistics {
        StoreStatistics(transactions: counters.transactions.load(ordering: .relaxed),
                        writes: counters.writes.load(ordering: .relaxed))
    }

    /// Finishes queued work, closes the connection and stops the thread (blocking).
    func close() {
        queue.close()
        _ = stopped.popOne()
    }
}

/// The writer thread's state: the connection and its transaction statements.
private final class WriterLoop {
    let connection: SQLiteConnection
    let counters: WriterCounters

    init(connection: SQLiteConnection, counters: WriterCounters) {
        self.connection = connection
        self.counters = counters
    }

    /// Empties the WAL into the database file (TRUNCATE), then closes.
    func close() {
        connection.checkpointTruncate()
        connection.close()
    }

    /// Runs the batch in one transaction. Optimistically without savepoints (a savepoint
    /// copies every page a body touches, which costs more than the body itself); if a body
    /// throws, the transaction is rolled back and the batch runs again with a savepoint per
    /// body, so the failing body loses only its own changes.
    func commit(_ batch: [any PendingWork]) {
        commit(batch, savepoints: false)
    }

    private func commit(_ batch: [any PendingWork], savepoints: Bool) {
        guard !batch.isEmpty else { return }
        do {
            try connection.statement("BEGIN IMMEDIATE").run()
        } catch {
            for work in batch { work.finish(transactionError: error) }
            return
        }
        let changesBefore = connection.totalChanges
        var lastOK = true
        for (index, work) in batch.enumerated() {
            if savepoints { try? connection.statement("SAVEPOINT work").run() }
            let changesBeforeBody = connection.totalChanges
            // A body that threw before changing a row (a refused reservation) leaves nothing to roll back.
            lastOK = work.run(connection) || connection.totalChanges == changesBeforeBody
            if connection.isAutocommit {
                // SQLite rolled the whole transaction back (disk full, I/O error, busy): the
                // bodies before this one lost their changes; the ones after have not run yet.
                let lost = StoreError(kind: .other, message: "transaction rolled back by SQLite after an error in a grouped write; retry")
                for earlier in batch[..<index] { earlier.finish(transactionError: lost) }
                work.finish(transactionError: lost)
                commit(Array(batch[(index + 1)...]))
                return
            }
            if savepoints {
                if !lastOK { try? connection.statement("ROLLBACK TO work").run() }
                try? connection.statement("RELEASE work").run()
            } else if !lastOK && batch.count > 1 {
                try? connection.statement("ROLLBACK").run()
                commit(batch, savepoints: true)
                return
            }
        }
        var commitError: (any Error)?
        do {
            if !savepoints && !lastOK {
                try connection.statement("ROLLBACK").run()
            } else {
                try connection.statement("COMMIT").run()
                if connection.totalChanges != changesBefore { counters.changingCommits.add(1, ordering: .releasing) }
            }
        } catch {
            commitError = error
            if !connection.isAutocommit { try? connection.execute("ROLLBACK") }
        }
        for work in batch { work.finish(transactionError: commitError) }
    }
}

final class WriterCounters: Sendable {
    let changingCommits = Atomic<Int>(0)
    let transactions = Atomic<Int>(0)
    let writes = Atomic<Int>(0)
}

/// How well writes are being grouped: `writes / transactions` callers per commit.
public struct StoreStatistics: Sendable, Equatable {
    /// Group commits started (including ones that rolled back).
    public var transactions: Int
    /// Write calls handled.
    public var writes: Int
}
