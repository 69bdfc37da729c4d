import Foundation
import Jobs
import Runtime
import ServiceLifecycle
import Synchronization

/// What the overview's live charts draw: one point a second, kept for the last `capacity`
/// seconds in memory. Jobs finished come from the runtime's `onJobFinished` hook (through
/// `FrontMetrics`); queue depth, spend and message events are read from the database, each
/// through an index and only the rows new since the last point (ids above a cursor).
final class DashboardActivity: Sendable {
    /// One second of activity.
    struct Point: Sendable, Equatable {
        var at: Date
        /// Jobs finished per second, by kind (every outcome).
        var jobsPerSecond: [String: Double]
        /// Inference completions (completions and batch items) that succeeded, per second.
        var completionsPerSecond: Double
        /// Messages the providers accepted (`sent` events), per second.
        var messagesPerSecond: Double
        /// Wallet spend (settlements and charges less refunds), USD per minute at this second's rate.
        var spendPerMinuteUSD: Double
        /// Share of finished job attempts that failed (retried, failed or dead), 0–1.
        var errorRate: Double
        /// Jobs waiting and running: queued, scheduled, running.
        var depth: [String: Int]
    }

    /// Spend of one wallet in one bucket of `spendBucket`.
    struct SpendBucket: Sendable, Equatable {
        var start: Date
        var microUSD: Int64
    }

    let capacity: Int
    /// Width of a wallet's spend buckets, and how far back they go.
    static let spendBucket: TimeInterval = 600
    static let spendHistory: TimeInterval = 6 * 3_600
    /// Ledger rows read per tick at most (a backlog is read over several ticks).
    static let ledgerChunk: Int64 = 20_000

    private struct Counter: Sendable {
        var finished: [String: Int] = [:]
        var completions = 0
        var errors = 0
        var attempts = 0
    }

    private struct State: Sendable {
        var counter = Counter()
        var lastCounter = Counter()
        var lastTick: Date?
        var points: [Point] = []
        var ledgerCursor: Int64?
        var eventCursor: Int64?
        /// Spend per wallet id per bucket start (ms).
        var spend: [Int64: [Int64: Int64]] = [:]
        var subscribers: [UInt64: AsyncStream<Point>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
    }

    private let state = Mutex(State())

    init(capacity: Int = 300) {
        self.capacity = capacity
    }

    /// Counts a finished job attempt.
    func jobFinished(kind: String, outcome: JobCompletion.Outcome) {
        state.withLock { state in
            state.counter.finished[kind, default: 0] += 1
            state.counter.attempts += 1
            switch outcome {
            case .succeeded:
                if kind == InferenceCompleteJob.kind || kind == BatchItemJob.kind { state.counter.completions += 1 }
            case .retry, .failed, .dead:
                state.counter.errors += 1
            case .snoozed, .released, .cancelled:
                break
            }
        }
    }

    /// The points so far, oldest first.
    var points: [Point] { state.withLock { $0.points } }

    /// A wallet's spend in the buckets of the last hours, oldest first.
    func spend(wallet id: Int64) -> [SpendBucket] {
        state.withLock { state in
            (state.spend[id] ?? [:]).sorted { $0.key < $1.key }.map { SpendBucket(start: Date(millisecondsSince1970: $0.key), microUSD: $0.value) }
        }
    }

    /// Every new point, as it is made, until the caller stops iterating.
    func updates() -> AsyncStream<Point> {
        let (stream, continuation) = AsyncStream<Point>.makeStream(bufferingPolicy: .bufferingNewest(8))
        let id = state.withLock { state in
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every `updates()` stream (the sampler stopped: a shutdown must not wait on open event streams).
    func finishUpdates() {
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    /// Makes the next point: reads what is new in the database since the last one.
    func tick(_ backend: any Backend, now: Date) async throws {
        let cursors = state.withLock { ($0.ledgerCursor, $0.eventCursor) }
        let since = now.addingTimeInterval(-Self.spendHistory)
        let read = try await backend.read { tx in try Self.read(tx, ledgerCursor: cursors.0, eventCursor: cursors.1, since: since) }
        let (point, subscribers) = state.withLock { state -> (Point, [AsyncStream<Point>.Continuation]) in
            let seconds = max(0.001, state.lastTick.map { now.timeIntervalSince($0) } ?? 1)
            let counter = state.counter, last = state.lastCounter
            var perKind: [String: Double] = [:]
            for (kind, count) in counter.finished { perKind[kind] = Double(count - (last.finished[kind] ?? 0)) / seconds }
            let attempts = counter.attempts - last.attempts
            let errors = counter.errors - last.errors
            var spent: Int64 = 0
            for row in read.spend {
                state.spend[row.wallet, default: [:]][row.bucket, default: 0] += row.microUSD
                spent += row.microUSD
            }
            let cutoff = Int64(since.timeIntervalSince1970 * 1_000)
            for wallet in state.spend.keys { state.spend[wallet] = state.spend[wallet]?.filter { $0.key >= cutoff } }
            // The first read backfills the wallets' history; it is not this second's spend.
            let spendThisTick = cursors.0 == nil ? 0 : spent
            let point = Point(at: now, jobsPerSecond: perKind, completionsPerSecond: Double(counter.completions - last.completions) / seconds,
                              messagesPerSecond: cursors.1 == nil ? 0 : Double(read.sentMessages) / seconds,
                              spendPerMinuteUSD: Double(spendThisTick) / 1_000_000 / seconds * 60,
                              errorRate: attempts > 0 ? Double(errors) / Double(attempts) : 0, depth: read.depth)
            state.lastCounter = counter
            state.lastTick = now
            state.ledgerCursor = read.ledgerCursor
            state.eventCursor = read.eventCursor
            state.points.append(point)
            if state.points.count > capacity { state.points.removeFirst(state.points.count - capacity) }
            return (point, Array(state.subscribers.values))
        }
        for subscriber in subscribers { subscriber.yield(point) }
    }

    private struct Read: Sendable {
        var depth: [String: Int]
        var spend: [(wallet: Int64, bucket: Int64, microUSD: Int64)]
        var sentMessages: Int
        var ledgerCursor: Int64
        var eventCursor: Int64
    }

    private static func read(_ tx: Transaction, ledgerCursor: Int64?, eventCursor: Int64?, since: Date) throws -> Read {
        // Each count runs over a partial index of its state only (jobs_ready, jobs_scheduled, jobs_running).
        var depth: [String: Int] = [:]
        for state in ["queued", "scheduled", "running"] {
            depth[state] = try tx.first("SELECT count(*) AS n FROM jobs WHERE state = \(state)") { row in row["n"] as Int } ?? 0
        }
        let maxLedger = try tx.first("SELECT max(id) AS m FROM wallet_ledger") { row in row["m"] as Int64 } ?? 0
        let from = try ledgerCursor ?? firstLedgerID(tx, since: since, maxID: maxLedger)
        let to = min(maxLedger, from + ledgerChunk)
        let bucketMs = Int64(spendBucket * 1_000)
        let spend = try tx.all("""
            SELECT wallet_id, (created_at / \(bucketMs)) * \(bucketMs) AS bucket, -sum(balance_delta) AS spent FROM wallet_ledger
            WHERE id > \(from) AND id <= \(to) AND kind IN ('settle', 'charge', 'refund') GROUP BY wallet_id, bucket
            """) { row in (wallet: row["wallet_id"] as Int64, bucket: row["bucket"] as Int64, microUSD: row["spent"] as Int64) }
        let maxEvent = try tx.first("SELECT max(id) AS m FROM message_events") { row in row["m"] as Int64 } ?? 0
        let sent = eventCursor.map { cursor in
            (try? tx.first("SELECT count(*) AS n FROM message_events WHERE id > \(cursor) AND id <= \(maxEvent) AND status = 'sent'") { row in
                row["n"] as Int
            }) ?? 0
        } ?? 0
        return Read(depth: depth, spend: spend, sentMessages: sent, ledgerCursor: to, eventCursor: maxEvent)
    }

    /// The id just below the first ledger line of `since` or later: ids grow with time, so a
    /// binary search over them finds it in about 30 primary-key lookups.
    private static func firstLedgerID(_ tx: Transaction, since: Date, maxID: Int64) throws -> Int64 {
        let sinceMs = Int64(since.timeIntervalSince1970 * 1_000)
        var low: Int64 = 0, high = maxID
        while low < high {
            let middle = low + (high - low) / 2
            let at = try tx.first("SELECT created_at FROM wallet_ledger WHERE id > \(middle) ORDER BY id LIMIT 1") { row in row["created_at"] as Int64 }
            if let at, at < sinceMs { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// Makes a point of `DashboardActivity` every second while the server runs.
struct DashboardSampler: Service {
    let activity: DashboardActivity
    let backend: any Backend
    let clock: any WallClock

    func run() async throws {
        defer { activity.finishUpdates() }
        // A graceful shutdown cancels the sleep; that ends the loop, it is not a failure (a
        // thrown CancellationError would fail the service group and `serve` would exit 1).
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await activity.tick(backend, now: clock.now())
                try? await clock.sleep(until: clock.now().addingTimeInterval(1))
            }
        }
    }
}
