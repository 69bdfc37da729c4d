import Foundation
public import Runtime

/// Syncs every provider's templates into the store: pages through each provider's list, writing
/// each page as it arrives (so an error mid-sync keeps what was synced), and only after a
/// provider's complete listing marks its templates that were not listed as removed.
public struct TemplateSync: Sendable {
    public struct Report: Sendable, Equatable {
        public var created = 0
        public var updated = 0
        public var removed = 0
        /// Providers whose listing failed, and why (what they listed before is kept).
        public var failures: [String: String] = [:]

        public init() {}
    }

    /// More pages than this from one provider is taken as a provider looping.
    static let maxPages = 1_000

    let hub: MessagingHub
    let store: TemplateStore

    public init(hub: MessagingHub, backend: any Backend) {
        self.hub = hub
        store = TemplateStore(backend: backend)
    }

    public func sync() async throws -> Report {
        var report = Report()
        for id in hub.providers.keys.sorted() {
            guard let provider = hub.providers[id] else { continue }
            var listed = Set<Int64>()
            var cursor: String?
            var pages = 0
            do {
                repeat {
                    try Task.checkCancellation()
                    pages += 1
                    guard pages <= Self.maxPages else { throw MessagingError(.transient, "more than \(Self.maxPages) pages") }
                    let page = try await provider.templates(page: cursor)
                    for (row, change) in try await store.upsert(page.templates, provider: id, now: hub.clock.now()) {
                        listed.insert(row)
                        switch change {
                        case .created: report.created += 1
                        case .updated: report.updated += 1
                        case .unchanged: break
                        }
                    }
                    cursor = page.next
                } while cursor != nil
                report.removed += try await store.markRemoved(provider: id, listed: listed, now: hub.clock.now())
            } catch let error as MessagingError {
                report.failures[id] = error.description
            }
        }
        return report
    }
}
