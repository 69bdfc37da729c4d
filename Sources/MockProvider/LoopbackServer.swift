public import Hummingbird
import Logging
import ServiceLifecycle

/// A Hummingbird router served on 127.0.0.1 at a port the system picks, for the length of a
/// body: what tests stand up as a peer (a webhook receiver, a collector, a callback sink). The
/// server stops gracefully when the body returns or throws.
public enum LoopbackServer {
    /// Serves `router` and calls `body` with its base URL (`http://127.0.0.1:<port>`).
    public static func run<Value: Sendable>(_ router: Router<BasicRequestContext>,
                                            _ body: @Sendable (String) async throws -> Value) async throws -> Value {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "loopback", factory: { _ in SwiftLogNoOpLogHandler() })
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do {
                let value = try await body("http://127.0.0.1:\(port)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
