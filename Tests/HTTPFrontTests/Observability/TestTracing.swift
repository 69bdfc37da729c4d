import Logging
import OTel
import Tracing

/// The test process's tracer, bootstrapped once for every suite (the instrument is process
/// global): swift-otel's, with its W3C propagator, exporting nowhere. HTTP clients take the
/// tracer when they are made, so a test that checks outgoing `traceparent`s makes its client
/// after `bootstrap()`.
enum TestTracing {
    private static let bootstrapped: Bool = {
        var configuration = OTel.Configuration.default
        configuration.traces.exporter = .none
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.propagators = [.traceContext]
        configuration.diagnosticLogger = .custom(Logger(label: "otel", factory: { _ in SwiftLogNoOpLogHandler() }))
        let backend = try! OTel.makeTracingBackend(configuration: configuration)  // a fixed, valid configuration
        InstrumentationSystem.bootstrap(backend.factory)
        let service = backend.service
        Task.detached { try? await service.run() }
        return true
    }()

    static func bootstrap() { _ = bootstrapped }
}
