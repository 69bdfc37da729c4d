import Foundation
import Hummingbird
import MockProvider
import Synchronization

/// A tiny OTLP/HTTP collector on loopback (port 0): keeps the body of every POST to
/// `/v1/traces` and `/v1/metrics` and answers an empty (valid) protobuf response.
final class OTLPCollector: Sendable {
    private let received = Mutex<[String: [Data]]>([:])

    func bodies(_ path: String) -> [Data] { received.withLock { $0[path] ?? [] } }

    /// Runs a collector for the length of `body`, which gets its base URL.
    static func run(_ body: @Sendable (String, OTLPCollector) async throws -> Void) async throws {
        let collector = OTLPCollector()
        let router = Router()
        for path in ["/v1/traces", "/v1/metrics"] {
            router.post(RouterPath(path)) { request, _ -> Response in
                let bytes = Data(buffer: try await request.body.collect(upTo: 16 << 20))
                collector.received.withLock { $0[path, default: []].append(bytes) }
                return Response(status: .ok, headers: [.contentType: "application/x-protobuf"])
            }
        }
        try await LoopbackServer.run(router) { url in try await body(url, collector) }
    }
}
