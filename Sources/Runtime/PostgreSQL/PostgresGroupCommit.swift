import Synchronization
import Tracing

/// PostgreSQL's group commit: writes given the same group (a wallet's changes) that arrive
/// while the sessions are busy wait together, and the next free session runs them in one
/// transaction. A wallet's row lock is then taken and its WAL flush waited for once for up to
/// `limit` bodies, instead of once each as they queue on the lock one behind another.
///
/// The group runs optimistically, every body in one transaction. When one throws, the whole
/// transaction is rolled back and the group runs again with a savepoint per body, so the body
/// that failed loses only its own changes (the bodies run twice: the seam allows it). A body
/// that meets a deadlock runs again alone, after the group's commit.
final class PostgresWriteGroups: Sendable {
    /// The most bodies in one transaction: each body's savepoint, when the group needs them,
    /// is a subtransaction, and PostgreSQL tracks up to 64 per transaction cheaply.
    static let limit = 32

    private struct State {
        /// Groups queued for a session and not yet taken, by number.
        var waiting: [Int: [GroupedWrite]] = [:]
        /// The number of each key's group that still takes more bodies.
        var open: [String: Int] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    /// Adds `write` to `key`'s open group; returns the number of the group it opened (to queue
    /// for a session), or nil when it joined one already queued.
    func add(_ write: GroupedWrite, to key: String) -> Int? {
        state.withLock { state in
            if let number = state.open[key], let count = state.waiting[number]?.count, count < Self.limit {
                state.waiting[number]?.append(write)
                return nil
            }
            let number = state.next
            state.next += 1
            state.waiting[number] = [write]
            state.open[key] = number
            return number
        }
    }

    /// Takes group `number` off the waiting list: no body joins it after this.
    func take(_ number: Int, key: String) -> [GroupedWrite] {
        state.withLock { state in
            if state.open[key] == number { state.open[key] = nil }
            return state.waiting.removeValue(forKey: number) ?? []
        }
    }

    /// Bodies waiting in groups no session has taken yet.
    var waitingBodies: Int { state.withLock { $0.waiting.values.reduce(0) { $0 + $1.count } } }
}

/// One body of a group: `run` runs it and returns what resumes its caller with its value once
/// the group's commit is durable; `fail` resumes its caller with an error.
struct GroupedWrite: Sendable {
    let run: @Sendable (Transaction) throws -> @Sendable () -> Void
    let fail: @Sendable (any Error) -> Void
}

extension PostgresSessions {
    /// Runs `body` in a transaction, grouped with the bodies of the same `key` that are waiting
    /// for a session at the same moment.
    func transaction<Value: Sendable>(grouping key: String, _ body: @escaping @Sendable (Transaction) throws -> Value)
        async throws -> Value {
        let context = ServiceContext.current
        do {
            return try await withUnsafeThrowingContinuation { continuation in
                let write = GroupedWrite(
                    run: { tx in
                        let value = try ServiceContext.withValue(context) { try body(tx) }
                        return { continuation.resume(returning: value) }
                    },
                    fail: { continuation.resume(throwing: $0) })
                guard let number = groups.add(write, to: key) else { return }
                let queued = enqueue { [groups] session in Self.run(groups.take(number, key: key), on: session) }
                if !queued {
                    for write in groups.take(number, key: key) { write.fail(StoreError(kind: .closed, message: "the store is closed")) }
                }
            }
        } catch {
            health.record(error)
            throw error
        }
    }

    /// One group on `session`: a lone body runs as any transaction; several run together.
    private static func run(_ group: [GroupedWrite], on session: PostgresSession) {
        guard group.count > 1 else {
            if let write = group.first { runAlone(write, on: session) }
            return
        }
        let resumes: [@Sendable () -> Void]
        do {
            resumes = try run(readOnly: false, durable: true, { tx in try group.map { try $0.run(tx) } }, on: session)
        } catch let error as StoreError where error.kind == .unavailable || error.kind == .closed {
            // The connection is gone, perhaps with the COMMIT's answer: running again could
            // write twice what did commit. Fail them, as a lone body fails.
            for write in group { write.fail(error) }
            return
        } catch {
            runWithSavepoints(group, on: session)
            return
        }
        for resume in resumes { resume() }
    }

    private static func runAlone(_ write: GroupedWrite, on session: PostgresSession) {
        do { try run(readOnly: false, durable: true, write.run, on: session)() } catch { write.fail(error) }
    }

    /// The group again, each body under its own savepoint and its statements' answers read
    /// before the next body starts, so a failure is the failing body's alone.
    private static func runWithSavepoints(_ group: [GroupedWrite], on session: PostgresSession) {
        var done: [(write: GroupedWrite, resume: @Sendable () -> Void)] = [], again: [GroupedWrite] = [], next = 0
        do {
            try session.send("BEGIN")
            while next < group.count {
                let write = group[next]
                try session.savepoint()
                do {
                    let resume = try write.run(Transaction(session))
                    try session.flush()
                    try session.releaseSavepoint()
                    done.append((write, resume))
                } catch {
                    if session.isBroken { throw error }
                    try session.rollbackToSavepoint()
                    if let error = error as? StoreError, error.kind == .busy { again.append(write) } else { write.fail(error) }
                }
                next += 1
            }
            try session.commit()
        } catch {
            // The transaction itself failed: nothing of it committed, and no body is retried
            // (the COMMIT's answer may be what was lost).
            if session.isBroken { session.close() } else { try? session.execute("ROLLBACK") }
            for write in done.map(\.write) + group[next...] + again { write.fail(error) }
            return
        }
        for (_, resume) in done { resume() }
        for write in again { runAlone(write, on: session) }
    }
}
