public import Foundation

/// The persisted `Idempotency-Key` records: per (tenant, key), the request's fingerprint, its
/// state (in flight or completed) and, once completed, the response to replay.
///
/// Promises:
/// - `begin` decides and marks in one write on the store's single writer, so however many
///   requests race for a key (in this process or another on the same file), exactly one gets
///   `.proceed` while the key is free;
/// - an in-flight mark is a lease owned by this process (`owner`) until `begin` + the lease
///   duration: a process that dies while processing frees the key when its lease runs out;
/// - `complete` and `abandon` return after their commit (durable per the store's `synchronous`);
///   concurrent calls share one store write per group commit (`CoalescingWriter`), and one
///   whose write fails (a full disk, a closed store) throws the store's error;
/// - a completed response is replayed for `ttl` after completion; then the key is free and
///   `purgeExpired` deletes the row;
/// - bad input (tenant, key, fingerprint, response) is refused with an `IdempotencyError`
///   before anything is written, never a crash.
///
/// Which results to store (`complete`): successes, and the 4xx answers the caller gave after
/// processing began (a wallet refused the charge, a provider rejected the input), since
/// repeating the request would repeat them. Which to `abandon` instead: validation failures
/// found before processing began (the client fixes the request and retries with the same
/// key) and 5xx or other failures where nothing durable happened, so a retry runs again.
///
/// Time comes from the clock given at init (`purgeExpired` may be given its own `now`).
public final class IdempotencyStore: Sendable {
    /// The longest key accepted, in characters: the API's 255 and room for a caller's scope in
    /// front of it (the API answers 400 past its own limit).
    public static let maximumKeyLength = 320
    /// The longest key accepted, in UTF-8 bytes (320 characters of up to 4 bytes each).
    public static let maximumKeyBytes = 1_280
    /// The longest tenant id accepted, in UTF-8 bytes.
    public static let maximumTenantBytes = 200
    /// The largest response body `complete` stores (16 MiB); abandon larger results instead.
    public static let maximumBodyBytes = 16 << 20

    let backend: any Backend
    private let writer: CoalescingWriter<IdempotencyWrite, IdempotencyWrite.Outcome>
    let clock: any WallClock
    private let ttlMilliseconds: Int64
    private let leaseMilliseconds: Int64
    /// This process's name on the in-flight marks it holds.
    public let owner: String

    public init(backend: any Backend, clock: any WallClock, configuration: IdempotencyConfiguration = IdempotencyConfiguration()) {
        self.backend = backend
        self.clock = clock
        ttlMilliseconds = max(1, configuration.ttl.milliseconds)
        leaseMilliseconds = max(1, configuration.leaseDuration.milliseconds)
        owner = configuration.owner ?? RuntimeConfiguration.defaultOwner()
        writer = CoalescingWriter(backend: backend) { writes, tx in try IdempotencyWrite.apply(writes, tx) }
    }

    // MARK: Begin

    /// Decides what to do with a request carrying `key` and, when the key is free, marks it in
    /// flight under this process's lease, in the same commit. See `IdempotencyDecision`.
    /// `lease` (default: the configured lease) must outlast the longest the request can run, so
    /// that a retry while it runs is a conflict and never a second execution.
    public func begin(tenant: String, key: String, fingerprint: RequestFingerprint,
                      lease: Duration? = nil) async throws -> IdempotencyDecision {
        try Self.check(tenant: tenant, key: key)
        let now = clock.nowMilliseconds()
        let leaseMS = lease.map { max(1, $0.milliseconds) } ?? leaseMilliseconds
        let outcome = try await writer.run(.begin(tenant: tenant, key: key, fingerprint: fingerprint.bytes, owner: owner,
                                                  now: now, leaseUntil: now + leaseMS))
        guard case .decision(let decision) = outcome else { throw Self.unexpected(outcome) }
        return decision
    }

    /// `begin` with the fingerprint's bytes (e.g. a SHA-256 digest).
    public func begin(tenant: String, key: String, fingerprint: Data) async throws -> IdempotencyDecision {
        try await begin(tenant: tenant, key: key, fingerprint: try RequestFingerprint(fingerprint))
    }

    /// `begin` with the fingerprint in hexadecimal.
    public func begin(tenant: String, key: String, fingerprint hex: String) async throws -> IdempotencyDecision {
        try await begin(tenant: tenant, key: key, fingerprint: try RequestFingerprint(hex: hex))
    }

    // MARK: Complete and abandon

    /// Stores the response of a request this process holds in flight (see the type's comment
    /// for which results to store) and keeps it for the TTL; returns after the commit.
    /// Returns false, storing nothing, when the key is not in flight under this process's lease
    /// (abandoned, completed already, or taken over by another `begin` after the lease ran
    /// out) or, with `fingerprint`, when the key is held for another request. Passing the
    /// fingerprint given to `begin` guards against storing the answer under a newer request
    /// that took the key over after this one's lease expired.
    @discardableResult
    public func complete(tenant: String, key: String, response: StoredResponse,
                         fingerprint: RequestFingerprint? = nil) async throws -> Bool {
        try Self.check(tenant: tenant, key: key)
        guard (100...599).contains(response.status) else {
            throw IdempotencyError(.invalidResponse, "an HTTP status must be 100 to 599, not \(response.status)")
        }
        guard response.body.count <= Self.maximumBodyBytes else {
            throw IdempotencyError(.invalidResponse, "a stored body may have at most \(Self.maximumBodyBytes) bytes, not \(response.body.count)")
        }
        if let problem = HeaderLines.problem(in: response.headers) { throw IdempotencyError(.invalidResponse, problem) }
        let now = clock.nowMilliseconds()
        let outcome = try await writer.run(.complete(
            tenant: tenant, key: key, owner: owner, fingerprint: fingerprint?.bytes, status: response.status,
            headers: HeaderLines.encode(response.headers), body: response.body, now: now, expiresAt: now + ttlMilliseconds))
        guard case .applied(let stored) = outcome else { throw Self.unexpected(outcome) }
        return stored
    }

    /// Removes this process's in-flight mark so the client may retry with the same key (see
    /// the type's comment for when); returns after the commit. Returns false when the key was
    /// not in flight under this process's lease (or, with `fingerprint`, was held for another
    /// request); a completed response is never removed.
    @discardableResult
    public func abandon(tenant: String, key: String, fingerprint: RequestFingerprint? = nil) async throws -> Bool {
        try Self.check(tenant: tenant, key: key)
        let outcome = try await writer.run(.abandon(tenant: tenant, key: key, owner: owner, fingerprint: fingerprint?.bytes))
        guard case .applied(let removed) = outcome else { throw Self.unexpected(outcome) }
        return removed
    }

    // MARK: Housekeeping

    /// Deletes up to `limit` (1–100,000) expired rows — completed responses past their TTL and
    /// in-flight marks past their lease — in one commit and returns how many it deleted; a
    /// result below `limit` means none are left to find. It looks among the `4 × limit` oldest
    /// rows (by creation), so its cost is bounded whatever the table's size; they are the
    /// expired ones unless responses completed long after their lease hold the head of the
    /// table, which delays the purge of later rows until those expire too. `now` defaults to
    /// the clock's time.
    public func purgeExpired(now: Date? = nil, limit: Int = 1_000) async throws -> Int {
        let nowMS = (now ?? clock.now()).millisecondsSince1970
        let limit = min(max(limit, 1), 100_000)
        return try await backend.write { tx in
            try tx.run("""
                DELETE FROM idempotency_keys WHERE id IN (
                    SELECT id FROM (SELECT id, expires_at FROM idempotency_keys ORDER BY id LIMIT \(4 * limit)) AS oldest
                    WHERE expires_at <= \(nowMS) LIMIT \(limit))
                """)
        }
    }

    private static func unexpected(_ outcome: IdempotencyWrite.Outcome) -> StoreError {
        StoreError(kind: .other, message: "an idempotency write returned \(outcome) for another kind of write")
    }

    // MARK: Validation

    /// Refuses an empty or oversized tenant or key (the API answers 400).
    static func check(tenant: String, key: String) throws(IdempotencyError) {
        guard !tenant.isEmpty, tenant.utf8.count <= maximumTenantBytes else {
            throw IdempotencyError(.invalidTenant, "a tenant id of 1 to \(maximumTenantBytes) bytes is required")
        }
        // Bytes first: bounds the work of counting characters in a huge key.
        guard !key.isEmpty, key.utf8.count <= maximumKeyBytes, key.count <= maximumKeyLength else {
            throw IdempotencyError(.invalidKey, key.isEmpty
                ? "the Idempotency-Key must not be empty"
                : "the Idempotency-Key must be at most \(maximumKeyLength) characters")
        }
    }
}
