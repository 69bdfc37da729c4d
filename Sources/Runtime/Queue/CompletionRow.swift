import Foundation

/// What an attempt's outcome writes to its job's row: every backend's `complete` stores this.
struct CompletionRow {
    var state: JobState
    /// The new due time (nil: unchanged).
    var runAt: Int64?
    /// 1 when the attempt does not count (snoozed, released).
    var refund: Int64
    var error: String?
    var result: Data?

    init(_ outcome: JobCompletion.Outcome, nowMS: Int64) {
        state = .queued
        runAt = nil
        refund = 0
        error = nil
        result = nil
        switch outcome {
        case .succeeded(let output): state = .succeeded; result = output
        case .retry(let at, let message):
            runAt = at.millisecondsSince1970
            error = message
            if at.millisecondsSince1970 > nowMS { state = .scheduled }
        case .snoozed(let until):
            runAt = until.millisecondsSince1970
            refund = 1
            if until.millisecondsSince1970 > nowMS { state = .scheduled }
        case .released: runAt = nowMS; refund = 1
        case .failed(let message): state = .failed; error = message
        case .dead(let message): state = .dead; error = message
        case .cancelled: state = .cancelled
        }
    }
}
