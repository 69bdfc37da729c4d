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
            response = try await client.execute(call, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                                                                           + timeout.components.attoseconds / 1_000_000_000))
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
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return ProviderError(.timeout, "\(provider) did not answer within \(timeout)")
        }
        return ProviderError(.unavailable, "\(provider) could not be reached: \(error)")
    }
}
