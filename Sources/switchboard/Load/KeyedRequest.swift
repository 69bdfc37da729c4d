import Foundation

/// How the load client resends a request that carries an Idempotency-Key, as a careful client
/// does when it cannot know whether the first try took effect: after a transport error (the
/// server died mid-request, the connection broke), a 5xx or a 409 (the first try is still in
/// flight), the same key and the same body again, a bounded number of times with a short
/// exponential backoff and jitter.
struct LoadRetry: Sendable {
    /// Tries in all, the first one included.
    var maxAttempts = 6
    var baseBackoff: Duration = .milliseconds(100)
    var maxBackoff: Duration = .milliseconds(1_600)

    /// Whether an answer (nil: none came) is worth the same request again.
    static func shouldRetry(_ status: UInt?) -> Bool {
        guard let status else { return true }
        return status == 409 || (500..<600).contains(status)
    }

    /// The pause before try `attempt + 1`: base × 2^(attempt-1), capped, times a jitter in [0.5, 1].
    func backoff(after attempt: Int, jitter: Double = Double.random(in: 0.5...1)) -> Duration {
        let exponential = baseBackoff * (1 << min(max(attempt - 1, 0), 16))
        return min(maxBackoff, exponential) * jitter
    }
}

/// One try of a keyed request and what came back.
struct KeyedAttempt: Sendable, Equatable {
    /// nil when no answer came.
    var status: UInt?
    var replayed = false
    /// The job or message id of a 2xx answer.
    var id: String?
    /// `error.code` of a refusal.
    var code: String?

    var succeeded: Bool { status.map { (200..<300).contains($0) } ?? false }
}

/// A keyed request of the run, every try of it, for the checks: in the client (the answers
/// agree) and against the database afterwards (one job or message per key, the one answered).
struct KeyedRequest: Sendable {
    enum Kind: String, Sendable {
        case completion, message
    }

    var kind: Kind
    var tenant: String
    var key: String
    /// Text the load makes unique per key (the prompt, or the message body), so the database
    /// shows every job or message made for it, whatever the server did with the key.
    var marker: String
    var attempts: [KeyedAttempt]

    /// The id the server answered with (every 2xx answer must carry the same).
    var answeredID: String? { attempts.first(where: \.succeeded)?.id }

    var retries: Int { max(0, attempts.count - 1) }

    /// The promises the answers themselves must keep: every 2xx names the same job or
    /// message; a 2xx after an earlier 2xx is a replay (`Idempotency-Replayed: true`); the same
    /// key with the same body is never `idempotency_mismatch`.
    var violations: [String] {
        var found: [String] = []
        let answered = attempts.filter(\.succeeded)
        let ids = Set(answered.map { $0.id ?? "none" })
        if ids.count > 1 {
            found.append("key \(key) (\(kind.rawValue)) was answered with different ids: \(ids.sorted().joined(separator: ", "))")
        }
        if answered.dropFirst().contains(where: { !$0.replayed }) {
            found.append("key \(key) (\(kind.rawValue)) was answered 2xx again without Idempotency-Replayed: true")
        }
        if attempts.contains(where: { $0.code == "idempotency_mismatch" }) {
            found.append("key \(key) (\(kind.rawValue)) resent with the same body was refused as idempotency_mismatch")
        }
        return found
    }
}
