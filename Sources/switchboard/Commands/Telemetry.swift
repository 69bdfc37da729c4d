import CoreMetrics
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// `serve`'s tracing and OTLP export, both swift-otel. The tracer is always bootstrapped, so
/// every request, job attempt, provider call, message send and webhook delivery has a span and
/// outgoing calls carry a W3C `traceparent` (its W3C propagator). Without an endpoint nothing
/// is exported: a trace the client sampled is recorded and dropped, any other is not recorded.
/// With `--otlp-endpoint` spans and every metric (beside Prometheus `/metrics`) are exported
/// over OTLP/HTTP+protobuf to `<endpoint>/v1/traces` and `<endpoint>/v1/metrics`. `OTEL_*`
/// environment variables (export intervals, headers) apply as swift-otel reads them.
struct Telemetry {
    /// The exporters and the tracer's processor, run in `serve`'s service group.
    var services: [any Service]
    /// swift-otel's metrics factory when exporting (nil otherwise).
    var metricsFactory: (any MetricsFactory)?

    /// Bootstraps the process's instrument; once, before any HTTP client is made (clients take the tracer then).
    static func bootstrap(endpoint: String?, logger: Logger) throws -> Telemetry {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "switchboard"
        configuration.diagnosticLogger = .custom(logger)
        configuration.propagators = [.traceContext]
        configuration.logs.enabled = false
        guard let endpoint else {
            configuration.traces.exporter = .none
            configuration.traces.sampler = .parentBasedAlwaysOff
            let tracing = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(tracing.factory)
            return Telemetry(services: [tracing.service], metricsFactory: nil)
        }
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.endpoint = endpoint + "/v1/traces"
        configuration.metrics.otlpExporter.protocol = .httpProtobuf
        configuration.metrics.otlpExporter.endpoint = endpoint + "/v1/metrics"
        let tracing = try OTel.makeTracingBackend(configuration: configuration)
        let metrics = try OTel.makeMetricsBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(tracing.factory)
        // Off the event loops: swift-otel 1.6.0's OTLP/HTTP exporter calls its HTTP client's
        // `syncShutdown()` again in `deinit` (after its graceful shutdown), and AsyncHTTPClient
        // traps when that runs on an event loop thread, where `serve` runs Swift concurrency.
        let services: [any Service] = [OffEventLoops(tracing.service), OffEventLoops(metrics.service)]
        return Telemetry(services: services, metricsFactory: metrics.factory)
    }
}
