import AsyncHTTPClient
import Foundation
public import Logging
public import Runtime
public import ServiceLifecycle

/// The dispatcher as a long-running service of `serve`: passes while deliveries are due, then
/// sleeps until the next falls due (at most `idle`, so events raised by other processes or
/// jobs are picked up soon). It owns its HTTP client (redirects off) and shuts it down when it
/// stops. On graceful shutdown it stops at once: a delivery cut short is sent again after its
/// lease (receivers dedupe by `webhook-id`).
public final class WebhookDispatchService: Service, Sendable {
    private let dispatcher: WebhookDispatcher
    private let client: HTTPClient
    private let clock: any WallClock
    private let logger: Logger
    private let idle: Duration

    public init(backend: any Backend, configuration: WebhookConfiguration, clock: any WallClock, logger: Logger,
                idle: Duration = .seconds(1), metrics: WebhookMetrics = WebhookMetrics()) {
        client = WebhookDispatcher.makeClient()
        dispatcher = WebhookDispatcher(backend: backend, client: client, configuration: configuration, clock: clock, logger: logger,
                                       metrics: metrics)
        self.clock = clock
        self.logger = logger
        self.idle = idle
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let processed: Int
                do { processed = try await self.dispatcher.pass().processed } catch {
                    self.logger.error("webhook dispatch pass failed", metadata: ["error": "\(error)"])
                    processed = 0
                }
                if processed > 0 { continue }
                let now = self.clock.now()
                let next = (try? await self.dispatcher.nextDue()) ?? nil
                let wakeAt = max(min(next ?? .distantFuture, now.addingTimeInterval(self.idle.timeInterval)), now.addingTimeInterval(0.05))
                try? await self.clock.sleep(until: wakeAt)
            }
        }
        try? await client.shutdown()
    }
}
