import Synchronization

/// Stops one running job from outside its task: the pool's way to cancel a single child of
/// its task group (user cancel, timeout, shutdown), and to know why it was stopped.
final class JobControl: Sendable {
    enum StopReason: Sendable, Equatable {
        case cancelRequested
        case timeout
        case shutdown
        /// The store says another worker holds the job now: this attempt's word does not count.
        case leaseLost
    }

    /// The running job's task. `UnsafeCurrentTask` may only be used while its task is alive:
    /// it is set by the task itself when `run` starts and cleared by the same task before
    /// `run` returns, both under `state`'s lock, and `stop` cancels it only under that lock,
    /// so the task is always alive when it is cancelled.
    private struct RunningTask: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private struct State {
        var stopReason: StopReason?
        var task: RunningTask?
    }

    private let state = Mutex(State())

    /// Why the job was stopped, if it was.
    var stopReason: StopReason? { state.withLock { $0.stopReason } }

    /// Asks the running body to stop (the first reason wins) by cancelling its task.
    func stop(_ reason: StopReason) {
        state.withLock { state in
            guard state.stopReason == nil else { return }
            state.stopReason = reason
            state.task?.task.cancel()
        }
    }

    /// Runs `body` in the current task, which `stop` cancels. One task per job, not two.
    func run<Value: Sendable>(_ body: () async throws -> Value) async -> Result<Value, any Error> {
        withUnsafeCurrentTask { task in
            state.withLock { state in
                guard let task else { return }
                state.task = RunningTask(task: task)
                if state.stopReason != nil { task.cancel() }
            }
        }
        defer { state.withLock { $0.task = nil } }
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }
}
