import AsyncHTTPClient
import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOEmbedded
import Runtime
import ServiceLifecycle
import Testing

@Suite("Request limits, rate limits and shutdown")
struct LimitsTests {
    @Test("a body over the limit is 413, whether announced by Content-Length or sent over a socket")
    func oversizedBody() async throws {
        let harness = try await Harness.make(limits: RequestLimits(maxBodyBytes: 2_048))
        let big = #"{"tenantId":"t","wallet":"team","amountUsd":"1","reason":"\#(String(repeating: "x", count: 4_000))"}"#
        try await harness.test(.live) { client in
            let response = try await client.send(.post, "/llm-orch/v1/_internal/wallets/credit", internalKey: TestKeys.internalKey, json: big)
            #expect(response.status == .contentTooLarge)
            #expect(try ParsedEnvelope(response).errorCode == "payload_too_large")
            // The server still answers on a new request.
            #expect(try await client.get("/llm-orch/v1/health").status == .ok)
        }
    }

    @Test("a body without a length is held to the same limit")
    func streamedOversizedBody() async throws {
        let harness = try await Harness.make(limits: RequestLimits(maxBodyBytes: 2_048))
        let chunks = (0..<10).map { _ in ByteBuffer(string: String(repeating: "x", count: 1_000)) }
        let request = Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/llm-orch/v1/_internal/wallets/credit",
                              headerFields: [.contentType: "application/json", .init("x-internal-api-key")!: TestKeys.internalKey]),
            body: .init(asyncSequence: chunks.async))
        let response = try await harness.front.router().buildResponder()
            .respond(to: request, context: AppRequestContext(source: .init(channel: EmbeddedChannel(), logger: Logger(label: "t"))))
        #expect(response.status == .contentTooLarge)
        await harness.runtime.close()
    }

    @Test("over the plan's request rate: 429 with Retry-After and RateLimit headers; other tenants are unaffected; capacity returns")
    func tenantRateLimit() async throws {
        let harness = try await Harness.make(plans: PlanLimits(plans: ["free": .init(requestsPerSecond: 1, burst: 2)]))
        let token = try await harness.token(plan: "free")
        let other = try await harness.token(tenant: TestKeys.otherTenant, plan: "free")
        try await harness.test { client in
            #expect(try await client.get("/llm-orch/v1/wallets", token: token).status == .ok)
            let second = try await client.get("/llm-orch/v1/wallets", token: token)
            #expect(second.status == .ok)
            #expect(second.headers[.init("RateLimit-Policy")!] == #""free";q=2;w=1"#)
            let limited = try await client.get("/llm-orch/v1/wallets", token: token)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "1")
            #expect(limited.headers[.init("RateLimit")!] == #""free";r=0;t=1"#)
            #expect(try ParsedEnvelope(limited).errorCode == "rate_limited")
            #expect(try await client.get("/llm-orch/v1/wallets", token: other).status == .ok)
            harness.clock.advance(by: .seconds(1))
            #expect(try await client.get("/llm-orch/v1/wallets", token: token).status == .ok)
        }
    }

    @Test("graceful shutdown stops accepting but finishes the request in flight, then the runtime drains")
    func gracefulShutdown() async throws {
        let harness = try await Harness.make()
        let router = harness.front.router()
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (gate, gateContinuation) = AsyncStream.makeStream(of: Void.self)
        router.get("/test/slow") { _, _ -> String in
            startedContinuation.yield()
            for await _ in gate { break }
            return "finished"
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              services: [harness.runtime], onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) },
                              logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var portIterator = ports.makeAsyncIterator()
            let port = try #require(await portIterator.next())
            let inFlight = Task {
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/test/slow"), timeout: .seconds(30))
                return (response.status.code, String(buffer: try await response.body.collect(upTo: 1_024)))
            }
            var startedIterator = started.makeAsyncIterator()
            await startedIterator.next()
            await group.triggerGracefulShutdown()
            #expect(harness.runtime.currentPhase != .stopped)
            gateContinuation.yield()
            let (status, body) = try await inFlight.value
            #expect(status == 200)
            #expect(body == "finished")
            try await tasks.next()
        }
        #expect(harness.runtime.currentPhase == .stopped)
        try await client.shutdown()
        await harness.runtime.close()
    }
}
