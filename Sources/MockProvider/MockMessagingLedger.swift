import Foundation
import Synchronization

extension MockProvider {
    /// One message a messaging endpoint delivered, as `GET /_mock/messages` lists it.
    public struct Delivery: Codable, Sendable, Equatable {
        /// A template send: the provider's template id and the variables as they arrived.
        public struct Template: Codable, Sendable, Equatable {
            public var id: String
            public var variables: [String: String]
        }

        /// `twilio` or `sendgrid`.
        public var provider: String
        /// The provider's message id (`SM…`, the SendGrid `X-Message-Id`).
        public var id: String
        /// `sms`, `whatsapp` or `email`.
        public var channel: String
        /// As it arrived (`whatsapp:+1…` for WhatsApp).
        public var to: String
        public var from: String
        /// `I-Twilio-Idempotency-Token` or `Idempotency-Key`, when sent.
        public var dedupeKey: String?
        public var subject: String?
        public var body: String?
        public var template: Template?
        /// The final status its status callbacks report (`delivered`, `undelivered`); nil when
        /// none are sent for it (none asked, or dropped).
        public var reported: String?

        public init(provider: String, id: String, channel: String, to: String, from: String, dedupeKey: String?, subject: String?,
                    body: String?, template: Template?, reported: String? = nil) {
            (self.provider, self.id, self.channel, self.to, self.from) = (provider, id, channel, to, from)
            (self.dedupeKey, self.subject, self.body, self.template, self.reported) = (dedupeKey, subject, body, template, reported)
        }
    }

    /// What `GET /_mock/messages` answers: every delivery in order, and how many sends were
    /// answered from a dedupe key instead of being delivered again.
    public struct MessagesReport: Codable, Sendable, Equatable {
        public var messages: [Delivery]
        public var count: Int
        public var duplicatesSuppressed: Int
    }

    /// The messaging endpoints' deliveries so far (what `GET /_mock/messages` serves).
    public var messagesReport: MessagesReport { ledger.report() }
}

/// The messaging endpoints' memory: what was delivered, the answer stored for each dedupe key,
/// how many duplicates were suppressed, a call counter for the fault rolls and SendGrid's
/// rate-limit window.
///
/// Promises: a dedupe key delivers at most once, however many calls carry it at once (the
/// check and the delivery happen under one lock); later calls get the first answer.
final class MockMessagingLedger: Sendable {
    /// A stored answer to replay for a dedupe key.
    struct Answer: Sendable {
        var status: Int
        var body: String
        var headers: [String: String]
    }

    /// SendGrid's `X-RateLimit-*` figures for one request, and whether it is within the limit.
    struct WindowUse: Sendable {
        var limit: Int
        var remaining: Int
        /// Epoch seconds when the window ends.
        var reset: Int
        var allowed: Bool
    }

    private struct State {
        var deliveries: [MockProvider.Delivery] = []
        var answers: [String: Answer] = [:]
        var duplicatesSuppressed = 0
        var sequence = 0
        var windowStart: Date?
        var windowCount = 0
    }

    private let state = Mutex(State())
    private let calls = Atomic<Int>(0)

    /// The number of this messaging call (from 1), for `MockProvider.unit`.
    func nextCall() -> Int { calls.wrappingAdd(1, ordering: .relaxed).newValue }

    /// Delivers once per `(provider, dedupeKey)`: the first call delivers what `make` builds from
    /// a fresh sequence number and stores its answer; later calls get that answer back and
    /// count as duplicates. Without a key every call delivers.
    func deliver(provider: String, dedupeKey: String?,
                 _ make: (_ sequence: Int) -> (MockProvider.Delivery, Answer)) -> (answer: Answer, duplicate: Bool) {
        state.withLock { state in
            let key = dedupeKey.map { "\(provider)\u{0}\($0)" }
            if let key, let stored = state.answers[key] {
                state.duplicatesSuppressed += 1
                return (stored, true)
            }
            state.sequence += 1
            let (delivery, answer) = make(state.sequence)
            state.deliveries.append(delivery)
            if let key { state.answers[key] = answer }
            return (answer, false)
        }
    }

    /// The delivery the provider gave `id` (a Twilio sid), if any.
    func delivery(id: String) -> MockProvider.Delivery? {
        state.withLock { $0.deliveries.first { $0.id == id } }
    }

    func report() -> MockProvider.MessagesReport {
        state.withLock { .init(messages: $0.deliveries, count: $0.deliveries.count, duplicatesSuppressed: $0.duplicatesSuppressed) }
    }

    /// Counts one request in the current fixed window of `length` (a new window starts when it ends).
    func useWindow(limit: Int, length: Duration, now: Date) -> WindowUse {
        state.withLock { state in
            if let start = state.windowStart, now.timeIntervalSince(start) < length.inSeconds {} else {
                state.windowStart = now
                state.windowCount = 0
            }
            state.windowCount += 1
            let end = (state.windowStart ?? now).addingTimeInterval(length.inSeconds)
            return WindowUse(limit: limit, remaining: max(0, limit - state.windowCount), reset: Int(end.timeIntervalSince1970.rounded(.up)),
                             allowed: state.windowCount <= limit)
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
