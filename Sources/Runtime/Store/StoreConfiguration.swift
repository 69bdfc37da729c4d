/// How the SQLite store opens its file. Defaults suit a single server process.
public struct StoreConfiguration: Sendable {
    /// SQLite's `synchronous` setting in WAL mode.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// Commits survive a process crash; the last commits may be lost on power failure.
        case normal
        /// Every commit is fsynced: survives power failure, slower.
        case full
    }

    /// The database file; created with its directory if missing.
    public var path: String
    public var synchronous: Synchronous
    /// Read-only connections serving `read` calls.
    public var readerCount: Int
    /// How long a connection waits for a lock held by another process before `busy`.
    public var busyTimeoutMilliseconds: Int32
    /// Open without write access: migrations are checked, not run, and writes fail.
    public var readOnly: Bool
    /// How often the background checkpointer copies the WAL into the database file.
    public var checkpointInterval: Duration
    /// Run `PRAGMA quick_check` when opening, and refuse a damaged file.
    public var checkAtOpen: Bool

    public init(path: String, synchronous: Synchronous = .normal, readerCount: Int = 2,
                busyTimeoutMilliseconds: Int32 = 5_000, readOnly: Bool = false, checkpointInterval: Duration = .milliseconds(250),
                checkAtOpen: Bool = true) {
        self.checkAtOpen = checkAtOpen
        self.checkpointInterval = max(checkpointInterval, .milliseconds(10))
        self.path = path
        self.synchronous = synchronous
        self.readerCount = max(1, readerCount)
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.readOnly = readOnly
    }
}
