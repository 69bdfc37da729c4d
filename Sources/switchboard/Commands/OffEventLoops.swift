import Dispatch
import ServiceLifecycle

/// Runs a service (its tasks, and the release of what it held when it ends) on a dispatch
/// queue of its own rather than on NIO's event loops, which are `serve`'s global executor:
/// for code that must not run on an event loop thread (see `Telemetry`).
struct OffEventLoops: Service {
    private let base: any Service

    init(_ base: any Service) { self.base = base }

    func run() async throws {
        try await withTaskExecutorPreference(QueueExecutor.shared) { try await base.run() }
    }
}

/// A task executor over one serial dispatch queue.
final class QueueExecutor: TaskExecutor {
    static let shared = QueueExecutor()
    private let queue = DispatchQueue(label: "switchboard.telemetry")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
