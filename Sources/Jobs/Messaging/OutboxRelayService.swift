import Foundation
import Synchronization
public import Logging
public import Runtime
public import ServiceLifecycle

/// The relay as a long-running service of `serve`: passes over the outbox while there is due
/// work, then sleeps until the next row falls due (at most `idle`), or until a message is
/// accepted (`MessagingHub.relayWake`); between passes it sends the fallbacks that fell due.
/// Every `holdCheck` it closes the holds of messages that ended without their relay closing them
/// (`OutboxRelay.reconcileHolds`: a relay's instance died, and a delivery report ended the
/// message first); an accept commits its hold with its message and outbox row, so this never
/// races one. On graceful shutdown it finishes the pass in hand and stops.
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

    /// How often the holds of ended messages are looked for.
    static let holdCheck: Duration = .seconds(30)

    public func run() async throws {
        await withGracefulShutdownHandler {
            var nextHoldCheck = hub.clock.now().addingTimeInterval(Self.holdCheck.timeInterval)
            while !stopping.isSet && !Task.isCancelled {
                if hub.clock.now() >= nextHoldCheck {
                    nextHoldCheck = hub.clock.now().addingTimeInterval(Self.holdCheck.timeInterval)
                    do {
                        let closed = try await relay.reconcileHolds()
                        if closed > 0 { logger.warning("closed the holds of messages whose relay died", metadata: ["count": "\(closed)"]) }
                    } catch {
                        logger.error("closing the holds of ended messages failed", metadata: ["error": "\(error)"])
                    }
                }
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
