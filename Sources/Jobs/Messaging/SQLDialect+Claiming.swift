import Runtime

/// The few phrases the messaging and webhook statements write differently per backend (kept
/// here, beside the statements that use them, rather than in the runtime).
extension SQLDialect {
    /// The clause that locks the rows a claiming SELECT reads and skips those another
    /// instance has locked (PostgreSQL), so two instances never take the same row; empty on
    /// SQLite, whose one writer serialises every write transaction anyway.
    var skipLocked: String { self == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }

    /// The larger of its arguments: SQLite's scalar `max(a, b)` is PostgreSQL's `GREATEST`.
    var greatest: String { self == .postgres ? "GREATEST" : "max" }
}
