import Foundation
import HTTPTypes
@testable import HTTPFront
import HummingbirdTesting
import Testing

@Suite("Body budget")
struct BodyBudgetTests {
    @Test("bytes are taken while they fit, refused past the bound with 503 and Retry-After, and given back")
    func bound() throws {
        let budget = BodyBudget(capacity: 100)
        try budget.take(60)
        let refused = #expect(throws: APIError.self) { try budget.take(50) }
        #expect(refused?.status == .serviceUnavailable && refused?.code == "unavailable")
        #expect(refused?.headers.contains { $0.0 == .retryAfter } == true)
        budget.giveBack(60)
        try budget.take(50)
        #expect(budget.used == 50)
        budget.giveBack(50)
        // A body larger than the whole budget is read alone.
        try budget.take(500)
        budget.giveBack(500)
        #expect(budget.used == 0)
    }

    @Test("while other bodies fill the budget a write is 503 before its body is read; afterwards it goes through and nothing stays taken")
    func http() async throws {
        let limits = RequestLimits(bodyBudgetBytes: 4_096)
        let harness = try await Harness.make(limits: limits)
        try await harness.test { client in
            try limits.bodyBudget.take(4_090)
            let refused = try await client.credit(tenant: TestKeys.tenant, amount: "1.00")
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(try ParsedEnvelope(refused).errorCode == "unavailable")
            #expect(try await harness.runtime.wallets.balance(of: .team(TestKeys.tenant)) == nil)
            limits.bodyBudget.giveBack(4_090)
            #expect(try await client.credit(tenant: TestKeys.tenant, amount: "1.00").status == .ok)
            #expect(limits.bodyBudget.used == 0)
        }
    }
}
