import Synchronization

/// Runs many small operations as one store write (one group commit on SQLite, one transaction
/// on PostgreSQL). The first operation to
/// arrive when no write of this writer is waiting for the writer thread submits one (it
/// leads); operations arriving until that write starts join it. The write takes them on the
/// writer thread, runs them in arrival order as one store write and, after the commit, the
/// leader resumes every caller with its own outcome. This saves the group commit's per-write
/// cost (savepoint, hand-off, wake-up) for each operation, which dominates when each one is a
/// single-row statement.
///
/// Each caller returns only after the commit that made its operation durable. If one
/// operation throws, or the transaction does not commit, every operation of that write fails
/// with the error and none of their changes persist (as for a failed `Backend.write`).
final class CoalescingWriter<Operation: Sendable, Outcome: Sendable>: Sendable {
    /// An operation waiting for a write; the leader's own has no continuation (it awaits the write).
    private struct Waiter: Sendable {
        let operation: Operation
        let continuation: UnsafeContinuation<Outcome, any Error>?
    }

    private struct State {
        var pending: [Waiter] = []
        /// A write has been submitted that will take `pending` when it runs.
        var armed = false
    }

    /// The waiters one write took, handed from its body (on the writer thread) to the leader.
    /// Taken once: the store may run a body again (after another body of its group threw and
    /// the group was rolled back), and the second run must apply the same batch.
    private final class Taken: Sendable {
        let waiters = Mutex<[Waiter]?>(nil)
    }

    private let backend: any Backend
    private let apply: @Sendable ([Operation], Transaction) throws -> [Outcome]
    private let state = Mutex(State())

    /// `apply` runs a batch in one transaction and returns one outcome per operation, in order.
    init(backend: any Backend, apply: @escaping @Sendable ([Operation], Transaction) throws -> [Outcome]) {
        self.backend = backend
        self.apply = apply
    }

    /// Runs `operation` in the next write; returns its outcome once that write is durable.
    func run(_ operation: Operation) async throws -> Outcome {
        let leads = state.withLock { state -> Bool in
            guard !state.armed else { return false }
            state.armed = true
            state.pending.append(Waiter(operation: operation, continuation: nil))
            return true
        }
        if leads {
            guard let own = try await lead() else {
                throw StoreError(kind: .other, message: "a coalesced write lost its leader's operation")
            }
            return own
        }
        return try await withUnsafeThrowingContinuation { continuation in
            let orphaned = state.withLock { state -> Bool in
                state.pending.append(Waiter(operation: operation, continuation: continuation))
                guard !state.armed else { return false }
                // The write this caller meant to join took its batch meanwhile: start another.
                state.armed = true
                return true
            }
            if orphaned { Task { _ = try? await self.lead() } }
        }
    }

    /// Submits one write that takes everything pending, resumes the callers it took and
    /// returns the outcome of the leader's own operation (nil for a leader without one).
    private func lead() async throws -> Outcome? {
        let taken = Taken()
        let result: Result<[Outcome], any Error>
        do {
            result = .success(try await backend.write { tx in
                let batch = taken.waiters.withLock { waiters -> [Waiter] in
                    if let waiters { return waiters }
                    let batch = self.takePending()
                    waiters = batch
                    return batch
                }
                let outcomes = try self.apply(batch.map(\.operation), tx)
                guard outcomes.count == batch.count else {
                    throw StoreError(kind: .other, message: "a coalesced write returned \(outcomes.count) outcomes for \(batch.count) operations")
                }
                return outcomes
            })
        } catch {
            result = .failure(error)
        }
        // The write never ran (the store is closed, or its transaction could not start): fail
        // the callers it would have taken.
        let batch = taken.waiters.withLock { $0 } ?? takePending()
        var own: Result<Outcome, any Error>?
        switch result {
        case .success(let outcomes):
            for (waiter, outcome) in zip(batch, outcomes) {
                if let continuation = waiter.continuation { continuation.resume(returning: outcome) } else { own = .success(outcome) }
            }
        case .failure(let error):
            for waiter in batch {
                if let continuation = waiter.continuation { continuation.resume(throwing: error) } else { own = .failure(error) }
            }
        }
        return try own?.get()
    }

    private func takePending() -> [Waiter] {
        state.withLock { state in
            state.armed = false
            let batch = state.pending
            state.pending = []
            return batch
        }
    }
}
