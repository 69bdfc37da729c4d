import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A loopback webhook receiver (port 0) that answers 200 and keeps each POST's `traceparent`
/// and body.
final class HookReceiver: Sendable {
    struct Post: Sendable {
        var traceparent: String?
        var body: String
    }

    private let received = Mutex<[Post]>([])
    var posts: [Post] { received.withLock { $0 } }

    /// Runs a receiver for the length of `body`, which gets its URL.
    static func run(_ body: @Sendable (String, HookReceiver) async throws -> Void) async throws {
        let receiver = HookReceiver()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let bytes = try await request.body.collect(upTo: 1 << 16)
            receiver.received.withLock {
                $0.append(Post(traceparent: request.headers[HTTPField.Name("traceparent")!], body: String(buffer: bytes)))
            }
            return .ok
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() })
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do { try await body("http://127.0.0.1:\(port)/hook", receiver) } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
        }
    }
}
