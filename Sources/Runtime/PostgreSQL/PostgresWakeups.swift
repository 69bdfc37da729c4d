import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// How instances on one PostgreSQL database wake each other: a commit that queues jobs sends
/// `NOTIFY` on `channel` (delivered when it commits, once per transaction), and every instance
/// LISTENs on one dedicated connection of its own and wakes its worker pool. The connection is
/// reopened after the server restarts or drops it (waking the pool then too, for whatever was
/// queued meanwhile); a missed notification costs at most `PostgresBackend.idleRecheck`.
struct PostgresWakeups {
    static let channel = "switchboard_work"
    /// The statement a transaction that queued work sends (without waiting for its answer).
    static let notify: SQL = "SELECT pg_notify('switchboard_work', '')"

    let configuration: PostgresConnection.Configuration
    let logger: Logger

    /// Listens until cancelled, calling `onWork` for each notification and after each (re)connect.
    func run(_ onWork: @escaping @Sendable () -> Void) async {
        var retry = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 0, logger: logger
                ).get()
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        retry = .milliseconds(250)
                        onWork()
                        for try await _ in notifications { onWork() }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening for work from other instances failed; retrying",
                               metadata: ["error": "\(String(reflecting: error))", "retryInMilliseconds": "\(retry.milliseconds)"])
            }
            do { try await Task.sleep(for: retry) } catch { return }
            retry = min(retry * 2, .seconds(5))
        }
    }
}
