import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import NIOCore
import Runtime
import Testing

@Suite("Body read deadline")
struct BodyDeadlineTests {
    /// Body chunks as a client sends them: before each chunk after the first, the clock moves on by `gap`.
    struct Chunks: AsyncSequence, Sendable {
        let chunks: [String]
        let clock: TestClock
        let gap: Duration

        struct AsyncIterator: AsyncIteratorProtocol {
            var rest: [String]
            var first = true
            let clock: TestClock
            let gap: Duration

            mutating func next() async -> ByteBuffer? {
                guard !rest.isEmpty else { return nil }
                if !first { clock.advance(by: gap) }
                first = false
                return ByteBuffer(string: rest.removeFirst())
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks, clock: clock, gap: gap) }
    }

    static func request(_ chunks: Chunks) -> Request {
        var head = HTTPRequest(method: .post, scheme: "http", authority: "127.0.0.1", path: "/x")
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(chunks.chunks.joined().utf8.count)
        return Request(head: head, body: RequestBody(asyncSequence: chunks))
    }

    @Test("a body that arrives in pieces within the deadline is read whole; one still arriving after it is 408, checked on the clock")
    func deadline() async throws {
        let clock = TestClock()
        let body = JSONBody(limits: RequestLimits(bodyReadTimeout: .seconds(30)), clock: clock)
        let onTime = Self.request(Chunks(chunks: [#"{"a":"#, #""bc"}"#], clock: clock, gap: .seconds(29)))
        #expect(String(buffer: try await body.bytes(onTime)) == #"{"a":"bc"}"#)
        let late = Self.request(Chunks(chunks: [#"{"a":"#, #""b"#, #"c"}"#], clock: clock, gap: .seconds(16)))
        let error = await #expect(throws: APIError.self) { _ = try await body.bytes(late) }
        #expect(error?.status == .requestTimeout && error?.code == "request_timeout")
    }

    @Test("a body over the limit is 413, however it is cut")
    func tooLarge() async throws {
        let clock = TestClock()
        let body = JSONBody(limits: RequestLimits(maxBodyBytes: 1_024), clock: clock)
        let half = String(repeating: "a", count: 600)
        let error = await #expect(throws: APIError.self) { _ = try await body.bytes(Self.request(Chunks(chunks: [half, half], clock: clock, gap: .zero))) }
        #expect(error?.code == "payload_too_large")
    }
}
