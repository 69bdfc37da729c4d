public import Foundation
public import Runtime

/// One inference batch as the API shows it: where it is in its life, its items' progress and
/// what it has cost so far.
public struct InferenceBatch: Sendable, Equatable {
    /// `validating → in_progress → finalizing → completed`; `cancelling → cancelled` after a
    /// cancel; `expired` when its completion window closed first; `failed` when it could not start.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case validating
        case inProgress = "in_progress"
        case finalizing
        case completed
        case failed
        case cancelling
        case cancelled
        case expired

        /// True for the states a batch never leaves.
        public var isTerminal: Bool {
            switch self {
            case .completed, .failed, .cancelled, .expired: true
            case .validating, .inProgress, .finalizing, .cancelling: false
            }
        }
    }

    /// Items by outcome; `total − completed − failed − cancelled` are still to run or running.
    public struct Counts: Sendable, Equatable, Codable {
        public var total: Int
        public var completed: Int
        public var failed: Int
        public var cancelled: Int

        public init(total: Int, completed: Int = 0, failed: Int = 0, cancelled: Int = 0) {
            self.total = total
            self.completed = completed
            self.failed = failed
            self.cancelled = cancelled
        }

        /// From the items' job states.
        init(total: Int, states: [JobState: Int]) {
            self.init(total: total, completed: states[.succeeded, default: 0],
                      failed: states[.failed, default: 0] + states[.dead, default: 0], cancelled: states[.cancelled, default: 0])
        }

        public var finished: Int { completed + failed + cancelled }
    }

    public var id: String
    /// Insertion order, the list's cursor.
    public var sequence: Int64
    public var tenant: String
    public var status: Status
    /// `team` or `user:<sub>`: the wallet that holds the batch's worst case.
    public var wallet: String
    /// The worst case reserved at submission.
    public var holdMicroUSD: Int64
    /// The reservation holding it (nil before it is made).
    public var holdID: Int64?
    public var counts: Counts
    /// Charged so far (final once the batch is terminal).
    public var costMicroUSD: Int64
    public var error: String?
    public var createdAt: Date
    public var expiresAt: Date
    public var cancelRequestedAt: Date?
    /// When the completion window closed with items still waiting (they were cancelled).
    public var expiredAt: Date?
    public var finishedAt: Date?

    /// The wallet that pays for the batch.
    func walletKey() throws -> WalletKey { try WalletKey(tenant: tenant, parsing: wallet) }

    /// The reference of the batch's hold: a durable hold, kept across restarts.
    static func holdReference(_ id: String) -> String { Wallets.durableHoldPrefix + "batch:" + id }
}

/// One validated, priced item of a batch to submit. Its route (`useCase`, `model`) is
/// resolved again when it runs.
public struct BatchItem: Sendable, Equatable {
    public var customID: String
    public var messages: [ChatMessage]
    public var maxTokens: Int
    public var useCase: String?
    public var model: String?
    public var temperature: Double?
    public var worstCase: MicroUSD

    public init(customID: String, messages: [ChatMessage], maxTokens: Int, useCase: String?, model: String?, temperature: Double?,
                worstCase: MicroUSD) {
        self.customID = customID
        self.messages = messages
        self.maxTokens = maxTokens
        self.useCase = useCase
        self.model = model
        self.temperature = temperature
        self.worstCase = worstCase
    }
}

/// One item's result, as `GET …/results` pages them.
public struct BatchItemResult: Sendable, Equatable {
    public enum Status: String, Sendable {
        case pending, running, completed, failed, cancelled, expired
    }

    public var jobID: JobID
    public var customID: String
    public var status: Status
    public var output: BatchItemJob.Output?
    public var failure: InferenceFailure?
}
