import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The HTTP part the adapters share: send a call within the provider's timeout, turn transport
/// failures into `ProviderError` (no answer in time → timeout, anything else → unavailable), and
/// hand a non-200 answer (status, headers, first MiB of body) to the adapter's own error mapping.
struct ProviderTransport: Sendable {
    let provider: String
    let client: HTTPClient
    let timeout: Duration

    func send(_ call: HTTPClientRequest,
              failure: (HTTPResponseStatus, HTTPHeaders, ByteBuffer) -> ProviderError) async throws(ProviderError) -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(call, timeout: Self.timeAmount(timeout))
        } catch {
            throw transportError(error)
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            throw failure(response.status, response.headers, body)
        }
        return response
    }

    func transportError(_ error: any Error) -> ProviderError {
        if Self.isTimeout(error) { return ProviderError(.timeout, "\(provider) did not answer within \(timeout)") }
        return ProviderError(.unavailable, "\(provider) could not be reached: \(error)")
    }

    /// A `Duration` as AsyncHTTPClient's `TimeAmount` (nanoseconds).
    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Whether a transport error means the provider did not answer in time (rather than not at all).
    static func isTimeout(_ error: any Error) -> Bool {
        guard let error = error as? HTTPClientError else { return false }
        return error == .deadlineExceeded || error == .readTimeout
    }
}
