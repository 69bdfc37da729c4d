import Foundation
import Runtime
import Jobs

/// A job as the API shows it; its payload and result in the public form (money as USD
/// strings, dates as ISO 8601: `JSONValue.publicForm`).
struct JobView: Encodable {
    var id: String
    var kind: String
    var state: String
    var priority: Int
    var attempts: Int
    var maxAttempts: Int
    var cancelRequested: Bool
    var payload: JSONValue
    var result: JSONValue
    @Nullable var lastError: String?
    @Nullable var batchId: String?
    var runAt: Date
    var createdAt: Date
    var updatedAt: Date
    @Nullable var startedAt: Date?
    @Nullable var finishedAt: Date?

    init(_ job: JobRecord) {
        id = job.id.description
        kind = job.kind
        state = job.state.rawValue
        priority = job.priority
        attempts = job.attempts
        maxAttempts = job.maxAttempts
        cancelRequested = job.cancelRequested
        payload = JSONValue(stored: job.payload).publicForm
        result = JSONValue(stored: job.result).publicForm
        lastError = job.lastError
        batchId = job.batchID
        runAt = job.runAt
        createdAt = job.createdAt
        updatedAt = job.updatedAt
        startedAt = job.startedAt
        finishedAt = job.finishedAt
    }
}

/// A wallet as the API shows it; money as decimal USD strings.
struct WalletView: Encodable {
    var id: String
    /// `team` or `user`.
    var type: String
    /// `team` or `user:<sub>`.
    var owner: String
    var balanceUsd: String
    var reservedUsd: String
    var availableUsd: String

    init(_ wallet: WalletBalance) {
        id = String(wallet.id)
        type = wallet.key.owner == "team" ? "team" : "user"
        owner = wallet.key.owner
        balanceUsd = wallet.balance.usdString
        reservedUsd = wallet.reserved.usdString
        availableUsd = wallet.available.usdString
    }
}

/// A ledger line as the API shows it.
struct LedgerEntryView: Encodable {
    var id: String
    var kind: String
    var amountUsd: String
    var balanceDeltaUsd: String
    var reservedDeltaUsd: String
    @Nullable var reservationId: String?
    @Nullable var reference: String?
    @Nullable var detail: String?
    var createdAt: Date

    init(_ entry: LedgerEntry) {
        id = String(entry.id)
        kind = entry.kind.rawValue
        amountUsd = entry.amount.usdString
        balanceDeltaUsd = entry.balanceDelta.usdString
        reservedDeltaUsd = entry.reservedDelta.usdString
        reservationId = entry.reservationID.map(String.init)
        reference = entry.reference
        detail = entry.detail
        createdAt = entry.createdAt
    }
}

/// A cron schedule as the API shows it.
struct ScheduleView: Encodable {
    var name: String
    var cron: String
    var timezone: String
    var kind: String
    var tenant: String
    var payload: JSONValue
    var enabled: Bool
    var catchUp: String
    @Nullable var lastFireAt: Date?
    @Nullable var nextFireAt: Date?

    init(_ schedule: Schedule) {
        name = schedule.name
        cron = schedule.expression
        timezone = schedule.timeZone
        kind = schedule.kind
        tenant = schedule.tenant
        payload = JSONValue(stored: schedule.payload)
        enabled = schedule.enabled
        catchUp = schedule.catchUp.description
        lastFireAt = schedule.lastFireAt
        nextFireAt = schedule.nextFireAt
    }
}

/// An inference batch as the API shows it.
struct BatchView: Encodable {
    struct RequestCounts: Encodable {
        var total: Int
        var completed: Int
        var failed: Int
        var cancelled: Int
    }

    var id: String
    var status: String
    var requestCounts: RequestCounts
    var costUsd: String
    /// What the batch's hold still holds on the wallet: the worst case at submission less what
    /// its items were charged while it runs; 0 once it ended (the rest was released).
    var reservedUsd: String
    var wallet: String
    @Nullable var error: String?
    var createdAt: Date
    var expiresAt: Date
    @Nullable var cancelRequestedAt: Date?
    @Nullable var expiredAt: Date?
    @Nullable var finishedAt: Date?

    init(_ batch: InferenceBatch) {
        id = batch.id
        status = batch.status.rawValue
        requestCounts = RequestCounts(total: batch.counts.total, completed: batch.counts.completed, failed: batch.counts.failed,
                                      cancelled: batch.counts.cancelled)
        costUsd = MicroUSD(batch.costMicroUSD).usdString
        reservedUsd = MicroUSD(batch.status.isTerminal ? 0 : max(0, batch.holdMicroUSD - batch.costMicroUSD)).usdString
        wallet = batch.wallet.hasPrefix("user:") ? "user" : "team"
        error = batch.error
        createdAt = batch.createdAt
        expiresAt = batch.expiresAt
        cancelRequestedAt = batch.cancelRequestedAt
        expiredAt = batch.expiredAt
        finishedAt = batch.finishedAt
    }
}

/// One item's result: `text` and `usage` when it completed, `error` when it failed.
struct BatchResultView: Encodable {
    struct Usage: Encodable {
        var inputTokens: Int
        var outputTokens: Int
    }

    struct Failure: Encodable {
        var code: String
        var message: String
    }

    var customId: String
    var status: String
    @Nullable var text: String?
    @Nullable var model: String?
    @Nullable var provider: String?
    @Nullable var finishReason: String?
    @Nullable var usage: Usage?
    @Nullable var costUsd: String?
    @Nullable var error: Failure?

    init(_ result: BatchItemResult) {
        customId = result.customID
        status = result.status.rawValue
        if let output = result.output {
            text = output.text
            model = output.model
            provider = output.provider
            finishReason = output.finishReason
            usage = Usage(inputTokens: output.usage.inputTokens, outputTokens: output.usage.outputTokens)
            costUsd = MicroUSD(output.costMicroUSD).usdString
        }
        if let failure = result.failure { error = Failure(code: failure.code, message: failure.message) }
    }
}
