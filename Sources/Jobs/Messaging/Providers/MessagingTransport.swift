import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Runtime

/// The HTTP part the messaging adapters share: send a call within the provider's timeout and
/// read its answer, whatever the status (messaging answers are small; each adapter reads its
/// own success and error shapes). Failures before an answer — refused, reset, no answer in
/// time, a body that never ends — are `MessagingError.transient`: the message may or may not
/// have been accepted, so it is retried with the same provider-side dedupe reference.
struct MessagingTransport: Sendable {
    /// An answer: status, headers and its body (up to `MessagingTransport.bodyLimit`).
    struct Answer: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer

        var isSuccess: Bool { (200..<300).contains(status.code) }
        var data: Data { Data(body.readableBytesView) }
        /// The header fields in order, as `ProviderBackoff` reads them.
        var fields: [(name: String, value: String)] { headers.map { (name: $0.name, value: $0.value) } }
    }

    /// The largest answer read: a page of templates is well under it.
    static let bodyLimit = 8 << 20

    let provider: String
    let client: HTTPClient
    let timeout: Duration

    func exchange(_ call: HTTPClientRequest) async throws(MessagingError) -> Answer {
        do {
            let response = try await client.execute(call, timeout: ProviderTransport.timeAmount(timeout))
            let body = try await response.body.collect(upTo: Self.bodyLimit)
            return Answer(status: response.status, headers: response.headers, body: body)
        } catch {
            if ProviderTransport.isTimeout(error) { throw MessagingError(.transient, "\(provider) did not answer within \(timeout)") }
            throw MessagingError(.transient, "\(provider) could not be reached: \(error)")
        }
    }

    /// How long a rate-limit answer asks to wait (`Retry-After` in seconds or as an HTTP date),
    /// or nil when it says nothing readable.
    static func retryAfter(_ answer: Answer, now: Date) -> Duration? {
        ProviderBackoff.pause(fromHeaderFields: answer.fields.filter { $0.name.lowercased() == "retry-after" }, now: now)
    }
}
