import Foundation
import Runtime

/// A job as the API shows it.
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
        payload = JSONValue(stored: job.payload)
        result = JSONValue(stored: job.result)
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
}
