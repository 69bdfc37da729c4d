import Foundation
import Jobs
import Runtime

extension ServeSettings {
    /// The messaging hub `serve` runs with: the configured providers (or the simulated one),
    /// their limits shared with the fleet through `rateBudget` (PostgreSQL), or else starting
    /// spent: the process this one replaces may have just spent them.
    func messagingHub(clock: any WallClock, metrics: MessagingMetrics = MessagingMetrics(), rateBudget: SharedRateBudget? = nil) -> MessagingHub {
        let limiter = MessagingHub.limiter(for: messaging, clock: clock, shared: rateBudget, startSpent: rateBudget == nil)
        return MessagingHub(configuration: messaging,
                            providers: messagingProviders.map { $0.make(clock: clock, limiter: limiter, publicBaseURL: publicBaseURL) },
                            clock: clock, limiter: limiter, metrics: metrics)
    }
}
