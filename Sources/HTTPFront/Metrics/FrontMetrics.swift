public import CoreMetrics
import Foundation
public import Prometheus
public import Runtime
import Synchronization

/// The process's Prometheus registry and the metrics the HTTP front and the runtime report:
/// requests by route, method and status, request latency, jobs finished by kind and outcome,
/// and (read at scrape time) queue depth by state and wallet reservations held.
/// Metric objects are made once per label set and cached, so the request path only takes a lock
/// and bumps a counter.
public final class FrontMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Where every metric goes: the Prometheus registry (`/metrics`), and with `exporting` also that factory (OTLP).
    public let factory: any MetricsFactory
    private let requests = Mutex<[RequestLabels: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])
    private let jobs = Mutex<[String: CoreMetrics.Counter]>([:])
    /// When the database gauges were last read: `/metrics` is open, so scrapes read the
    /// database (a count over all jobs) at most once a second however often they come.
    private let gaugesReadAt = Mutex<ContinuousClock.Instant?>(nil)
    /// The dashboard's live figures (jobs finished are counted here as they end).
    let activity = DashboardActivity()

    private struct RequestLabels: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    /// `exporting`: a second factory every metric also goes to (`serve --otlp-endpoint` hands in swift-otel's).
    public init(exporting: (any MetricsFactory)? = nil) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = exporting.map { MultiplexMetricsHandler(factories: [factory, $0]) } ?? factory
    }

    /// Records one answered request.
    func request(route: String, method: String, status: Int, duration: Duration) {
        let labels = RequestLabels(route: route, method: method, status: status)
        let (counter, timer) = requests.withLock { cache in
            if let found = cache[labels] { return found }
            let dimensions = [("route", route), ("method", method), ("status", String(status))]
            let made = (CoreMetrics.Counter(label: "switchboard_http_requests_total", dimensions: dimensions, factory: factory),
                        CoreMetrics.Timer(label: "switchboard_http_request_duration_seconds",
                                          dimensions: [("route", route), ("method", method)], factory: factory))
            cache[labels] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Records a job attempt's end (pass to `JobRuntime.open(onJobFinished:)`).
    public func jobFinished(_ job: JobRecord, _ outcome: JobCompletion.Outcome) {
        let name = Self.outcomeName(outcome)
        let key = job.kind + "\u{0}" + name
        let counter = jobs.withLock { cache in
            if let found = cache[key] { return found }
            let made = CoreMetrics.Counter(label: "switchboard_jobs_finished_total",
                                           dimensions: [("kind", job.kind), ("outcome", name)], factory: factory)
            cache[key] = made
            return made
        }
        counter.increment()
        activity.jobFinished(kind: job.kind, outcome: outcome)
    }

    /// Reads the gauges that live in the database, then renders every metric in the
    /// Prometheus text format.
    func scrape(_ runtime: JobRuntime) async throws -> [UInt8] {
        let now = ContinuousClock.now
        let due = gaugesReadAt.withLock { last in
            guard last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            last = now
            return true
        }
        if due { try await readDatabaseGauges(runtime) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    /// Every metric in the Prometheus text format as it stands (no database read).
    func registryText() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    private func readDatabaseGauges(_ runtime: JobRuntime) async throws {
        let depth = try await runtime.jobs.countByState()
        for state in JobState.allCases {
            Gauge(label: "switchboard_queue_depth", dimensions: [("state", state.rawValue)], factory: factory)
                .record(depth[state] ?? 0)
        }
        let held = try await runtime.wallets.heldReservations()
        Gauge(label: "switchboard_wallet_reservations_held", factory: factory).record(held.count)
        Gauge(label: "switchboard_wallet_reserved_usd", factory: factory).record(Double(held.amount.value) / 1_000_000)
    }

    static func outcomeName(_ outcome: JobCompletion.Outcome) -> String {
        switch outcome {
        case .succeeded: "succeeded"
        case .retry: "retried"
        case .snoozed: "snoozed"
        case .released: "released"
        case .failed: "failed"
        case .dead: "dead"
        case .cancelled: "cancelled"
        }
    }
}
