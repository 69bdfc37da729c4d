/// The storage seam: where every durable piece of state lives (SQLite embedded, PostgreSQL for
/// several instances). A backend runs transaction bodies and hands out the repositories that
/// work inside them; callers that must commit together pass one `Transaction` to several
/// repositories. Promises, on every backend: `write` returns only once its transaction is
/// durable; a body that throws leaves no trace; nothing authoritative is cached in memory, so
/// two processes on one database see the same money, jobs and keys.
///
/// Bodies are synchronous and must keep their effects inside the transaction: a backend may run
/// one on a dedicated thread (never the cooperative pool) and may run it more than once.
public protocol Backend: Sendable {
    /// Runs `body` in a read-write transaction; returns its value once the commit is durable.
    func write<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value
    /// Runs `body` like `write`, perhaps in one transaction with other bodies given the same
    /// `group` at the same moment: a group commit for writes that queue on one row's lock (a
    /// wallet's), which then take the lock and wait for the flush once for many. Each body
    /// still commits or leaves no trace on its own, and returns once its commit is durable.
    func write<Value: Sendable>(grouping group: String, _ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value
    /// Runs `body` in a read-only snapshot that sees every commit finished before.
    func read<Value: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> Value) async throws -> Value
    /// The jobs: enqueue, claim, complete, leases, reads.
    var jobs: any JobStore { get }
    /// Wallets and their ledger: the money, decided by conditional statements.
    var ledger: any LedgerRepository { get }
    /// Damaged storage and refused writes seen since opening.
    var health: StoreHealth { get }
    /// Finishes queued work and closes.
    func close() async
    /// Calls `onWork` whenever another process may have committed work for this one (jobs
    /// queued), until the task is cancelled. Returns at once where no other process writes.
    func watchForWork(_ onWork: @escaping @Sendable () -> Void) async
    /// The longest an idle worker pool waits before it looks for work again, in case a
    /// wake-up from another process was missed; nil: until something wakes it.
    var idleRecheck: Duration? { get }
}

extension Backend {
    /// Where every write is grouped anyway (SQLite's one writer), a grouped write is a write.
    public func write<Value: Sendable>(grouping group: String, _ body: @escaping @Sendable (Transaction) throws -> Value)
        async throws -> Value {
        try await write(body)
    }
    public func watchForWork(_ onWork: @escaping @Sendable () -> Void) async {}
    public var idleRecheck: Duration? { nil }
}
