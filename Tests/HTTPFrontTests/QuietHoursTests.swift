import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import Runtime
import Testing

@Suite("Quiet hours: sendWindow, and the tenant's default")
struct QuietHoursTests {
    /// A one-minute UTC window that opens 12 hours from `now`, and the instant it opens.
    static func closedWindow(_ now: Date) -> (start: String, end: String, opens: Date) {
        let opens = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 + 12 * 3_600) / 60).rounded(.down) * 60)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.hour, .minute], from: opens)
        let start = String(format: "%02d:%02d", parts.hour!, parts.minute!)
        let endMinute = (parts.hour! * 60 + parts.minute! + 1) % 1_440
        return (start, String(format: "%02d:%02d", endMinute / 60, endMinute % 60), opens)
    }

    static func sendAt(_ response: TestResponse) throws -> Date? {
        try (ParsedEnvelope(response).dataObject?["sendAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) }
    }

    @Test("a send outside its window waits for the window's start; a bad window is 400 naming the field")
    func window() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let window = Self.closedWindow(harness.clock.now())
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let deferred = try await client.send(.post, "/cpaas/v1/messages", token: token, json: """
                {"channel":"sms","to":"+14155550100","body":"hi","sendWindow":{"start":"\(window.start)","end":"\(window.end)","timezone":"UTC"}}
                """)
            #expect(deferred.status == .accepted)
            #expect(try Self.sendAt(deferred) == window.opens)
            let bad = try await client.send(.post, "/cpaas/v1/messages", token: token, json: """
                {"channel":"sms","to":"+14155550100","body":"hi","sendWindow":{"start":"08:00","end":"21:00","timezone":"Nowhere/City"}}
                """)
            #expect(bad.status == .badRequest)
            #expect(try ParsedEnvelope(bad).errorField == "sendWindow.timezone")
            let typo = try await client.send(.post, "/cpaas/v1/messages", token: token, json: """
                {"channel":"sms","to":"+14155550100","body":"hi","sendWindow":{"start":"08:00","end":"21:00","tz":"UTC"}}
                """)
            #expect(try ParsedEnvelope(typo).errorField == "sendWindow.tz")
        }
    }

    @Test("the tenant's configured window applies when a message names none")
    func tenantDefault() async throws {
        let window = Self.closedWindow(Date())
        let harness = try await Harness.make(messaging: { clock in
            var configuration = MessagingConfiguration.development
            configuration.sendWindows[TestKeys.tenant] = try! DailyWindow(start: window.start, end: window.end, timeZone: "UTC")
            return MessagingHub(configuration: configuration, providers: [SimulatedMessagingProvider()], clock: clock)
        })
        let token = try await harness.token()
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            let deferred = try await client.send(.post, "/cpaas/v1/messages", token: token, json: #"{"channel":"sms","to":"+14155550100","body":"hi"}"#)
            let opens = try #require(try Self.sendAt(deferred))
            // The harness clock read `now` a moment after this test did: the same minute, or the next.
            #expect(opens == window.opens || opens == window.opens.addingTimeInterval(86_400))
        }
    }
}
