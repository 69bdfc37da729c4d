/// How a job attempt's span names its outcome (`switchboard.job.outcome`) and whether it marks
/// the span as an error.
enum JobSpan {
    static func outcomeName(_ outcome: JobCompletion.Outcome) -> String {
        switch outcome {
        case .succeeded: "succeeded"
        case .retry: "retry"
        case .snoozed: "snoozed"
        case .released: "released"
        case .failed: "failed"
        case .dead: "dead"
        case .cancelled: "cancelled"
        }
    }

    static func isFailure(_ outcome: JobCompletion.Outcome) -> Bool {
        switch outcome {
        case .retry, .failed, .dead: true
        case .succeeded, .snoozed, .released, .cancelled: false
        }
    }
}
