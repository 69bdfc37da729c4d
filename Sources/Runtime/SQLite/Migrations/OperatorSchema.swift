/// Indexes the operator dashboard reads through (version 190, inside the runtime's 100–199).
/// Only failed and dead jobs enter `jobs_problems`, so the queue's hot path (queued → running →
/// succeeded) never touches it; the dashboard finds every job it can retry without a scan.
public enum OperatorSchema {
    public static let migrations: [Migration] = [
        Migration(version: 190, name: "jobs_problems", sql: """
            CREATE INDEX jobs_problems ON jobs (state, id) WHERE state IN ('failed', 'dead');
            """),
    ]
}
