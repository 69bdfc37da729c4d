import Foundation
import Synchronization
public import Logging
public import Runtime
public import ServiceLifecycle

/// The relay as a long-running service of `serve`: passes over the outbox while there is due
/// work, then sleeps until the next row falls due (at most `idle`), or until a message is
/// accepted (`MessagingHub.relayWake`); between passes it sends the fallbacks that fell due. On graceful shutdown it finishes the pass in hand and
/// stops. (`OutboxRelay.reconcileHolds` runs before serving, not here: it must not race accepts.)
public final class OutboxRelayService: Service, Sendable {
    private let relay: OutboxRelay
    private let fallbacks: MessageFallbacks
    private let hub: MessagingHub
    private let logger: Logger
    private let idle: Duration
    private let stopping = WakeFlag()

    public init(hub: MessagingHub, backend: any Backend, wallets: Wallets, logger: Logger, idle: Duration = .seconds(5)) {
        self.hub = hub
        relay = OutboxRelay(hub: hub, backend: backend, wallets: wallets, logger: logger)
        fallbacks = MessageFallbacks(hub: hub, backend: backend, wallets: wallets, logger: logger)
        self.logger = logger
        self.idle = idle
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !stopping.isSet && !Task.isCancelled {
                let processed: Int
                do { processed = try await relay.pass().processed } catch {
                    logger.error("outbox relay pass failed", metadata: ["error": "\(error)"])
                    processed = 0
                }
                if processed > 0 { continue }
                // Attempts whose channel failed or went unreported get their next channel (queued, so the next pass sends it).
                if (try? await fallbacks.pass()) ?? 0 > 0 { continue }
                let next = (try? await relay.messages.nextClaimable()) ?? nil
                let now = hub.clock.now()
                // Never sooner than 50 ms: a row claimable now but not claimed (another relay won it) must not spin.
                let wakeAt = max(min(next ?? .distantFuture, now.addingTimeInterval(idle.timeInterval)), now.addingTimeInterval(0.05))
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.hub.relayWake.wait() }
                    group.addTask { try? await self.hub.clock.sleep(until: wakeAt) }
                    await group.next()
                    group.cancelAll()
                }
            }
        } onGracefulShutdown: {
            self.stopping.set()
            self.hub.relayWake.signal()
        }
    }
}

/// A flag set once.
final class WakeFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
