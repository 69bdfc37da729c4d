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
    private let counters = Counters()

    private final class Counters: Sendable {
        let stopped = Atomic<Bool>(false)
        let runs = Atomic<Int>(0)
        let pagesCopied = Atomic<Int>(0)
    }

    private struct Connection: @unchecked Sendable {
        // @unchecked: used only by the checkpointer's thread after `init` hands it over.
        let connection: SQLiteConnection
    }

    init(connection: SQLiteConnection, interval: Duration, name: String) {
        let owned = Connection(connection: connection)
        let thread = Thread { [wake, done, counters] in
            while true {
                wake.lock()
                if !counters.stopped.load(ordering: .acquiring) {
                    _ = wake.wait(until: Date().addingTimeInterval(interval.timeInterval))
                }
                wake.unlock()
                if counters.stopped.load(ordering: .acquiring) { break }
                let (_, copied) = owned.connection.checkpointPassive()
                counters.runs.add(1, ordering: .relaxed)
                counters.pagesCopied.add(copied, ordering: .relaxed)
            }
            owned.connection.close()
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Checkpoint passes run and WAL pages they copied into the database file.
    var statistics: (runs: Int, pagesCopied: Int) {
        (counters.runs.load(ordering: .relaxed), counters.pagesCopied.load(ordering: .relaxed))
    }

    /// Stops the thread and closes its connection (blocking).
    func close() {
        wake.lock()
        counters.stopped.store(true, ordering: .releasing)
        wake.signal()
        wake.unlock()
        done.wait()
    }
}

extension SQLiteConnection {
    /// A PASSIVE checkpoint: copies what it can without waiting for anyone. Returns the WAL's
    /// size in frames and how many frames are now in the database file (0, 0 on failure,
    /// e.g. SQLITE_BUSY when another checkpoint runs).
    func checkpointPassive() -> (walFrames: Int, checkpointed: Int) {
        var log: Int32 = 0
        var copied: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        return code == SQLITE_OK ? (Int(log), Int(copied)) : (0, 0)
    }
}
