import CSQLite
import Foundation
import Synchronization

/// Copies the WAL back into the database file on a thread of its own, so the writer does not
/// stall for a checkpoint's copy and fsync in the middle of a group commit. It runs a PASSIVE
/// checkpoint (never blocks the writer or readers) every `interval`. The writer keeps a high
/// automatic-checkpoint threshold only as a backstop that lets SQLite restart the WAL file,
/// which a passive checkpoint cannot do while writes keep arriving.
final class Checkpointer: Sendable {
    private let wake = NSCondition()
    private let done = DispatchSemaphore(value: 0)
    private let stopped = Stopped()

    private final class Stopped: Sendable {
        let flag = Atomic<Bool>(false)
    }

    private struct Connection: @unchecked Sendable {
        // @unchecked: used only by the checkpointer's thread after `init` hands it over.
        let connection: SQLiteConnection
    }

    init(connection: SQLiteConnection, interval: Duration, name: String) {
        let owned = Connection(connection: connection)
        let thread = Thread { [wake, done, stopped] in
            while true {
                wake.lock()
                if !stopped.flag.load(ordering: .acquiring) {
                    _ = wake.wait(until: Date().addingTimeInterval(interval.timeInterval))
                }
                wake.unlock()
                if stopped.flag.load(ordering: .acquiring) { break }
                owned.connection.checkpointPassive()
            }
            owned.connection.close()
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread and closes its connection (blocking).
    func close() {
        wake.lock()
        stopped.flag.store(true, ordering: .releasing)
        wake.signal()
        wake.unlock()
        done.wait()
    }
}

extension SQLiteConnection {
    /// A PASSIVE checkpoint: copies what it can without waiting for anyone. Best effort: a
    /// failure (e.g. SQLITE_BUSY while another checkpoint runs) leaves it to the next pass or
    /// to the writer's backstop.
    func checkpointPassive() {
        sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }
}
