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
    var lastError: String?
    var batchId: String?
    var runAt: Date
    var createdAt: Date
    var updatedAt: Date
    var startedAt: Date?
    var finishedAt: Date?

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

    /// Absent values are `null`, not missing keys: every job has the same keys.
    enum CodingKeys: String, CodingKey {
        case id, kind, state, priority, attempts, maxAttempts, cancelRequested, payload, result, lastError, batchId
        case runAt, createdAt, updatedAt, startedAt, finishedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(state, forKey: .state)
        try container.encode(priority, forKey: .priority)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(maxAttempts, forKey: .maxAttempts)
        try container.encode(cancelRequested, forKey: .cancelRequested)
        try container.encode(payload, forKey: .payload)
        try container.encode(result, forKey: .result)
        try container.encode(lastError, forKey: .lastError)
        try container.encode(batchId, forKey: .batchId)
        try container.encode(runAt, forKey: .runAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
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
    var reservationId: String?
    var reference: String?
    var detail: String?
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

    enum CodingKeys: String, CodingKey {
        case id, kind, amountUsd, balanceDeltaUsd, reservedDeltaUsd, reservationId, reference, detail, createdAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(amountUsd, forKey: .amountUsd)
        try container.encode(balanceDeltaUsd, forKey: .balanceDeltaUsd)
        try container.encode(reservedDeltaUsd, forKey: .reservedDeltaUsd)
        try container.encode(reservationId, forKey: .reservationId)
        try container.encode(reference, forKey: .reference)
        try container.encode(detail, forKey: .detail)
        try container.encode(createdAt, forKey: .createdAt)
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
    var lastFireAt: Date?
    var nextFireAt: Date?

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

    enum CodingKeys: String, CodingKey {
        case name, cron, timezone, kind, tenant, payload, enabled, catchUp, lastFireAt, nextFireAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(cron, forKey: .cron)
        try container.encode(timezone, forKey: .timezone)
        try container.encode(kind, forKey: .kind)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(payload, forKey: .payload)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(catchUp, forKey: .catchUp)
        try container.encode(lastFireAt, forKey: .lastFireAt)
        try container.encode(nextFireAt, forKey: .nextFireAt)
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
    var error: String?
    var createdAt: Date
    var expiresAt: Date
    var cancelRequestedAt: Date?
    var expiredAt: Date?
    var finishedAt: Date?

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

    /// Absent values are `null`, not missing keys: the OpenAPI document marks every key required.
    enum CodingKeys: String, CodingKey {
        case id, status, requestCounts, costUsd, reservedUsd, wallet, error, createdAt, expiresAt, cancelRequestedAt, expiredAt, finishedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encode(requestCounts, forKey: .requestCounts)
        try container.encode(costUsd, forKey: .costUsd)
        try container.encode(reservedUsd, forKey: .reservedUsd)
        try container.encode(wallet, forKey: .wallet)
        try container.encode(error, forKey: .error)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(cancelRequestedAt, forKey: .cancelRequestedAt)
        try container.encode(expiredAt, forKey: .expiredAt)
        try container.encode(finishedAt, forKey: .finishedAt)
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
    var text: String?
    var model: String?
    var provider: String?
    var finishReason: String?
    var usage: Usage?
    var costUsd: String?
    var error: Failure?

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

    /// Absent values are `null`, not missing keys: the OpenAPI document marks every key required.
    enum CodingKeys: String, CodingKey {
        case customId, status, text, model, provider, finishReason, usage, costUsd, error
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(customId, forKey: .customId)
        try container.encode(status, forKey: .status)
        try container.encode(text, forKey: .text)
        try container.encode(model, forKey: .model)
        try container.encode(provider, forKey: .provider)
        try container.encode(finishReason, forKey: .finishReason)
        try container.encode(usage, forKey: .usage)
        try container.encode(costUsd, forKey: .costUsd)
        try container.encode(error, forKey: .error)
    }
}
