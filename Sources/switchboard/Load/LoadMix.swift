import ArgumentParser

/// What a load run sends, and how often: weights per operation, from `--mix complete=40,message=30,…`.
struct LoadMix: Sendable {
    enum Operation: String, CaseIterable, Sendable {
        /// `POST /inference/complete`.
        case complete
        /// The same with an Idempotency-Key, resent with the key and body after a transport
        /// error, a 5xx or a 409 (`LoadRetry`); every fourth is also resent after its 200 (a replay).
        case keyedComplete = "keyed-complete"
        /// The same, streamed (SSE), read to the end.
        case stream
        /// `POST /inference/batches`, 10 items as NDJSON.
        case batch
        /// `POST /cpaas/v1/messages`, an SMS.
        case message
        /// The same with an Idempotency-Key, resent like `keyed-complete`.
        case keyedMessage = "keyed-message"
        /// A message with an Idempotency-Key, resent with the same key (the same answer, nothing
        /// new), and sometimes with a changed body (422).
        case retry
        /// A completion over its `x-budget-max-usd` (402, nothing reserved or called).
        case overbudget
        /// `GET` jobs, wallets and messages.
        case read
        /// A completion to the `limited` use case (a provider with a low requests-per-minute
        /// limit); 429 is a right answer. Sent at `--limited-rate`, besides the mix.
        case limited
    }

    let weights: [(Operation, Int)]
    private let total: Int

    static let standard = "complete=20,keyed-complete=10,stream=5,batch=2,message=20,keyed-message=10,retry=8,overbudget=5,read=20"

    init(parsing text: String) throws {
        var weights: [(Operation, Int)] = []
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let operation = Operation(rawValue: String(pair[0])), let weight = Int(pair[1]), (0...1_000).contains(weight)
            else {
                throw ValidationError("--mix takes name=weight pairs of \(Operation.allCases.map(\.rawValue).joined(separator: ", ")); not '\(part)'")
            }
            weights.append((operation, weight))
        }
        total = weights.reduce(0) { $0 + $1.1 }
        guard total > 0 else { throw ValidationError("--mix needs some weight") }
        self.weights = weights
    }

    /// The operation for a draw in 0..<1.
    func pick(_ unit: Double) -> Operation {
        var threshold = unit * Double(total)
        for (operation, weight) in weights {
            threshold -= Double(weight)
            if threshold < 0 { return operation }
        }
        return weights.last?.0 ?? .read
    }
}
