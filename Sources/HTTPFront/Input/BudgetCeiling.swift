import Hummingbird
import Runtime

extension Request {
    /// `x-budget-max-usd`, if sent: the most the caller allows this request (or batch) to cost.
    func budgetCeiling() throws -> MicroUSD? {
        guard let text = headers[.budgetMaxUSD] else { return nil }
        do { return try MicroUSD(parsingUSD: text) } catch { throw APIError.invalid("x-budget-max-usd", "x-budget-max-usd: \(error)") }
    }
}
