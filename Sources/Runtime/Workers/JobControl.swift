import Synchronization

/// Stops one running job from outside its task: the pool's way to cancel a single child of
/// its task group (user cancel, timeout, shutdown), and to know why it was stopped.
final class JobControl: Sendable {
    enum StopReason: Sendable, Equatable {
        case cancelRequested
        case timeout
        case shutdown
    }

    private struct State {
        var stopReason: StopReason?
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Why the job was stopped, if it was.
    var stopReason: StopReason? { state.withLock { $0.stopReason } }

    /// Asks the running body to stop (the first reason wins).
    func stop(_ reason: StopReason) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.stopReason == nil, !state.finished else { return nil }
            state.stopReason = reason
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Runs `body` as a child task and returns its result; `stop` cancels that child.
    func run<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) async -> Result<Value, any Error> {
        await withTaskGroup(of: Result<Value, any Error>.self) { group in
            group.addTask {
                let result: Result<Value, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                self.markFinished()
                return result
            }
            await waitForFinishOrStop()
            if stopReason != nil { group.cancelAll() }
            return await group.next() ?? .failure(CancellationError())
        }
    }

    private func markFinished() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private func waitForFinishOrStop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.finished || state.stopReason != nil { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
