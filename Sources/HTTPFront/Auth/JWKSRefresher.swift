import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
public import ServiceLifecycle

/// Keeps the JWKS of a URL fresh: refetches it every interval and hands it to the verifier.
/// A failed fetch keeps the keys there are and is retried at the next interval.
public struct JWKSRefresher: Service {
    let url: String
    let interval: Duration
    let verifier: TokenVerifier
    let logger: Logger

    public init(url: String, interval: Duration, verifier: TokenVerifier, logger: Logger) {
        self.url = url
        self.interval = interval
        self.verifier = verifier
        self.logger = logger
    }

    /// The JWKS document at `url` (at most 1 MiB, within 10 seconds).
    public static func fetch(_ url: String) async throws -> String {
        let request = HTTPClientRequest(url: url)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .ok else { throw AuthSetupError("JWKS fetch from \(url) answered \(response.status.code)") }
        let body = try await response.body.collect(upTo: 1 << 20)
        return String(buffer: body)
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
            if Task.isShuttingDownGracefully { return }
            do {
                try await verifier.replaceJWKS(try await Self.fetch(url))
            } catch {
                logger.warning("JWKS refresh failed; keeping the current keys", metadata: ["url": "\(url)", "error": "\(error)"])
            }
        }
    }
}
