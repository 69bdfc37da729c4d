import NIOCore

/// Reads a `text/event-stream` body as events (`event:` name and joined `data:` lines), chunk
/// by chunk: bytes are split into lines as they come, whatever the chunk boundaries.
struct ServerSentEvents<Body: AsyncSequence & Sendable>: AsyncSequence where Body.Element == ByteBuffer {
    struct Event: Equatable {
        var name: String?
        var data: String
    }

    let body: Body

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: Body.AsyncIterator
        var pending: [UInt8] = []
        var name: String?
        var data: [String] = []
        var ended = false

        mutating func next() async throws -> Event? {
            while true {
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    if line.isEmpty {
                        guard !data.isEmpty || name != nil else { continue }
                        let event = Event(name: name, data: data.joined(separator: "\n"))
                        name = nil
                        data = []
                        return event
                    }
                    let text = String(decoding: line, as: UTF8.self)
                    if text.hasPrefix("data:") { data.append(String(text.dropFirst(5).drop { $0 == " " })) }
                    if text.hasPrefix("event:") { name = String(text.dropFirst(6).drop { $0 == " " }) }
                }
                if ended { return nil }
                guard let chunk = try await chunks.next() else {
                    ended = true
                    pending.append(contentsOf: Array("\n\n".utf8))
                    continue
                }
                pending.append(contentsOf: chunk.readableBytesView)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator()) }
}
