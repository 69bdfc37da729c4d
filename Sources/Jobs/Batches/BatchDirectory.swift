import Runtime
import Synchronization

/// What a batch's items share and never changes once the batch runs: the wallet that pays and
/// the hold it pays from. Read from the store once per batch, then remembered (bounded), so
/// 50,000 items do not each carry it in their payload or read it again.
final class BatchDirectory: Sendable {
    struct Funding: Sendable {
        let wallet: WalletKey
        let holdID: Int64
    }

    private let store: BatchStore
    private let remembered = Mutex<[String: Funding]>([:])
    private static let capacity = 1_024

    init(store: BatchStore) {
        self.store = store
    }

    /// The batch's funding; nil if the batch does not exist or holds nothing yet.
    func funding(of batchID: String) async throws -> Funding? {
        if let known = remembered.withLock({ $0[batchID] }) { return known }
        guard let batch = try await store.batch(batchID), let holdID = batch.holdID else { return nil }
        let funding = Funding(wallet: try batch.walletKey(), holdID: holdID)
        remembered.withLock { known in
            if known.count >= Self.capacity { known.removeAll(keepingCapacity: true) }
            known[batchID] = funding
        }
        return funding
    }
}
