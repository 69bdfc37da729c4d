import AsyncHTTPClient
import Foundation
import Testing

/// `serve --otlp-endpoint` exports traces and metrics over OTLP/HTTP: a collector started here
/// receives a trace export holding the request's trace id, and a metrics export.
@Suite("OTLP export")
struct OTLPExportTests {
    static let traceID = "0af7651916cd43dd8448eb211c80319c"

    /// The 16 bytes of a 32-hex-digit id, as OTLP's protobuf carries them.
    static func bytes(_ hex: String) -> Data {
        var data = Data()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            data.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return data
    }

    @Test("a request's server span reaches the collector under the request's trace id; metrics are exported too", .timeLimit(.minutes(5)))
    func exportsTraceAndMetrics() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ServeProcess.binary), "build the switchboard binary first")
        try await OTLPCollector.run { endpoint, collector in
            // Short batches so the exports come within the poll below.
            let serve = ServeProcess(arguments: ["--otlp-endpoint", endpoint],
                                     environment: ["OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_METRIC_EXPORT_INTERVAL": "200"])
            let port = try await serve.start()
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/llm-orch/v1/health")
            request.headers.add(name: "traceparent", value: "00-\(Self.traceID)-b7ad6b7169203331-01")
            // A client of its own without tracing: the test process may have a tracer, which would add a second traceparent.
            var configuration = HTTPClient.Configuration()
            configuration.tracing.tracer = nil
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 16)
            try await client.shutdown()
            #expect(response.status == .ok)
            #expect(String(buffer: body).contains(Self.traceID), "meta.trace_id is the client's")

            let wanted = Self.bytes(Self.traceID)
            var exported = false, metrics = false
            for _ in 0..<200 where !(exported && metrics) {  // at most 20 s
                exported = collector.bodies("/v1/traces").contains { $0.range(of: wanted) != nil }
                // An export made before the request was counted holds no series yet: wait for one that does.
                metrics = collector.bodies("/v1/metrics").contains { $0.range(of: Data("switchboard_http_requests_total".utf8)) != nil }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(exported, "no trace export held the request's trace id (\(collector.bodies("/v1/traces").count) exports)")
            #expect(metrics, "no metrics export held the Prometheus series (\(collector.bodies("/v1/metrics").count) exports)")
            #expect(await serve.stop() == 0, "serve's log: \(serve.log.suffix(2_000))")
        }
    }
}
