import Foundation
import HTTPTypes
import Hummingbird
import MockProvider
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
        try await LoopbackServer.run(router) { url in try await body(url + "/hook", receiver) }
    }
}
