import Foundation

/// Everything the runtime needs to open: the database, the workers and the scheduler's grace.
public struct RuntimeConfiguration: Sendable {
    /// The SQLite file, when `postgres` is nil.
    public var store: StoreConfiguration
    /// When set, all state lives in this PostgreSQL database instead (several instances may
    /// share it) and `store` is unused.
    public var postgres: PostgresURL?
    public var workers: WorkerConfiguration
    /// A scheduled fire later than this counts as missed (its schedule's catch-up policy applies).
    public var misfireGrace: Duration
    /// This process's name on the leases it holds; defaults to host, pid and a random suffix.
    public var owner: String?
    /// The shortest `@every` interval a schedule may have (cron fires at most once a minute).
    public var minimumScheduleInterval: Duration

    public init(store: StoreConfiguration, postgres: PostgresURL? = nil, workers: WorkerConfiguration = WorkerConfiguration(),
                misfireGrace: Duration = .seconds(60), owner: String? = nil, minimumScheduleInterval: Duration = .seconds(60)) {
        self.postgres = postgres
        self.minimumScheduleInterval = minimumScheduleInterval
        self.store = store
        self.workers = workers
        self.misfireGrace = misfireGrace
        self.owner = owner
    }

    /// A name for this process on leases and in-flight marks: host, pid and a random suffix.
    public static func defaultOwner() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The database file inside a data directory.
    public static func databasePath(inDataDirectory directory: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + "switchboard.sqlite"
    }
}
