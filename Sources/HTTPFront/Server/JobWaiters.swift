import Crypto
import Foundation
public import Runtime
import Synchronization

/// Lets a request wait for a job it enqueued (a synchronous completion): the request registers
/// the job's unique key before enqueueing, the runtime's job-finished observer resolves it once
/// the job's end is written. Only keys registered here are looked at; other jobs pass through.
public final class JobWaiters: Sendable {
    /// How a job ended.
    public struct Finished: Sendable {
        public let job: JobRecord
        public let outcome: JobCompletion.Outcome

        init(job: JobRecord, outcome: JobCompletion.Outcome) {
            self.job = job
            self.outcome = outcome
        }

        /// How a job that has ended (its record read back) ended; nil while it has not.
        init?(ended job: JobRecord) {
            let outcome: JobCompletion.Outcome
            switch job.state {
            case .succeeded: outcome = .succeeded(result: job.result)
            case .failed: outcome = .failed(error: job.lastError ?? "")
            case .dead: outcome = .dead(error: job.lastError ?? "")
            case .cancelled: outcome = .cancelled
            case .scheduled, .queued, .running: return nil
            }
            self.init(job: job, outcome: outcome)
        }
    }

    private enum Entry {
        case pending
        case waiting(CheckedContinuation<Finished?, Never>)
        case finished(Finished)
    }

    /// Unique keys of waited-for jobs start with this.
    public static let keyPrefix = "wait:"
    private let entries = Mutex<[String: Entry]>([:])
    private let finishedHooks = Mutex<[@Sendable (String) -> Void]>([])

    public init() {}

    /// Also tells `hook` the unique key of every waited-for job that ended (the HTTP front closes
    /// the job's delta stream with it, in case the job ended without running its handler).
    func onFinished(_ hook: @escaping @Sendable (String) -> Void) {
        finishedHooks.withLock { $0.append(hook) }
    }

    /// A new unique key, registered: use it for the job, then `wait` on it.
    func register() -> String {
        let key = Self.keyPrefix + UUID().uuidString.lowercased()
        entries.withLock { $0[key] = .pending }
        return key
    }

    /// The unique key of the job a request with this (scoped) `Idempotency-Key` runs, registered:
    /// a retry after a crash finds the job the first request made instead of running a second.
    /// Nil when a request in this process waits on that key already.
    func register(idempotencyKey: String) -> String? {
        let key = Self.keyPrefix + "idem:" + hexString(SHA256.hash(data: Data(idempotencyKey.utf8)))
        return entries.withLock { entries in
            guard entries[key] == nil else { return nil }
            entries[key] = .pending
            return key
        }
    }

    /// Forgets a key whose job was never enqueued.
    func cancel(_ key: String) {
        if case .waiting(let continuation) = entries.withLock({ $0.removeValue(forKey: key) }) { continuation.resume(returning: nil) }
    }

    /// The job's end, or nil after `timeout` (the job goes on; the key is forgotten).
    func wait(_ key: String, timeout: Duration) async -> Finished? {
        await withTaskGroup(of: Finished?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    // Decided under one lock: either the end is here, or the continuation is
                    // installed for `jobFinished`/`cancel` to resume, or the key is gone.
                    let ready: Finished?? = self.entries.withLock { entries in
                        switch entries[key] {
                        case .finished(let finished):
                            entries[key] = nil
                            return .some(finished)
                        case .pending:
                            entries[key] = .waiting(continuation)
                            return .none
                        case .waiting, nil:
                            return .some(nil)
                        }
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            cancel(key)
            group.cancelAll()
            return first
        }
    }

    /// The runtime's job-finished observer (terminal outcomes only matter).
    public func jobFinished(_ job: JobRecord, _ outcome: JobCompletion.Outcome) {
        guard let key = job.uniqueKey, key.hasPrefix(Self.keyPrefix), !outcome.requeues else { return }
        for hook in finishedHooks.withLock({ $0 }) { hook(key) }
        let finished = Finished(job: job, outcome: outcome)
        let continuation: CheckedContinuation<Finished?, Never>? = entries.withLock { entries in
            switch entries[key] {
            case .pending:
                entries[key] = .finished(finished)
                return nil
            case .waiting(let continuation):
                entries[key] = nil
                return continuation
            case .finished, nil:
                return nil
            }
        }
        continuation?.resume(returning: finished)
    }
}
