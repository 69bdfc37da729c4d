import Foundation
import Jobs
@testable import switchboard
import Testing

@Suite("load client: keyed resends")
struct KeyedRequestTests {
    @Test("a keyed request is resent after no answer, a 5xx or a 409, and only then", arguments: [
        (nil, true), (500, true), (502, true), (503, true), (409, true),
        (200, false), (202, false), (400, false), (402, false), (422, false), (429, false),
    ] as [(UInt?, Bool)])
    func resendWhen(status: UInt?, resend: Bool) {
        #expect(LoadRetry.shouldRetry(status) == resend)
    }

    @Test("resends back off exponentially with jitter, capped")
    func backoff() {
        let retry = LoadRetry()
        #expect(retry.backoff(after: 1, jitter: 1) == .milliseconds(100))
        #expect(retry.backoff(after: 3, jitter: 1) == .milliseconds(400))
        #expect(retry.backoff(after: 9, jitter: 1) == .milliseconds(1_600))
        #expect(retry.backoff(after: 2, jitter: 0.5) == .milliseconds(100))
    }

    func request(_ attempts: [KeyedAttempt]) -> KeyedRequest {
        KeyedRequest(kind: .message, tenant: "t", key: "k", marker: "load keyed k", attempts: attempts)
    }

    @Test("answers that keep the promise: a fresh answer after no answer, then a replay of it")
    func consistentAnswers() {
        let keyed = request([KeyedAttempt(status: nil), KeyedAttempt(status: 409, code: "idempotency_conflict"),
                             KeyedAttempt(status: 202, id: "msg_1"), KeyedAttempt(status: 202, replayed: true, id: "msg_1")])
        #expect(keyed.violations.isEmpty)
        #expect(keyed.answeredID == "msg_1")
        let resends = Resends([keyed])
        #expect(resends.resent == 1 && resends.resends == 2 && resends.afterTransport == 1 && resends.after409 == 1 && resends.fresh == 1)
    }

    @Test("answers that break it: another id, a second fresh 2xx, a mismatch for the same body")
    func brokenAnswers() {
        #expect(request([KeyedAttempt(status: 202, id: "msg_1"), KeyedAttempt(status: 202, replayed: true, id: "msg_2")])
            .violations.count == 1)
        #expect(request([KeyedAttempt(status: nil), KeyedAttempt(status: 202, id: "msg_1"), KeyedAttempt(status: 202, id: "msg_1")])
            .violations.count == 1)
        #expect(request([KeyedAttempt(status: 503), KeyedAttempt(status: 422, code: "idempotency_mismatch")]).violations.count == 1)
        let gaveUp = Resends([request(Array(repeating: KeyedAttempt(status: nil), count: LoadRetry().maxAttempts))])
        #expect(gaveUp.gaveUp == 1 && gaveUp.resends == LoadRetry().maxAttempts - 1)
    }

    @Test("the check reads the client's key behind the server's per-user scope")
    func scopedKeys() {
        let scoped = "u:" + String(repeating: "a1", count: 16) + ":load-42"
        #expect(InvariantCheck.clientKey(scoped) == "load-42")
        #expect(InvariantCheck.clientKey("load-42") == "load-42")
        #expect(InvariantCheck.clientKey("u:short:x") == "u:short:x")
    }
}
