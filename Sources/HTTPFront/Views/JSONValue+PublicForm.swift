import Foundation
import Runtime

/// Stored job payloads and results in the API's public form: money kept inside as integer
/// micro-USD under a key ending in `MicroUSD` is shown as a decimal USD string under the same
/// name ending in `Usd` (`worstCaseMicroUSD: 1250` → `worstCaseUsd: "0.00125"`), and a date key
/// that an older version stored as seconds since 2001 is shown as ISO 8601, like every other
/// date of the API (newer rows store ISO 8601 already; see `JobJSON`).
extension JSONValue {
    /// Keys of job payloads whose value is a date.
    static let dateKeys: Set<String> = ["deadline", "sendAt", "runAt", "at"]

    static let moneySuffix = "MicroUSD"

    /// The value with its money and dates in the public form, at every depth.
    var publicForm: JSONValue {
        switch self {
        case .array(let values):
            return .array(values.map(\.publicForm))
        case .object(let fields):
            var shown: [String: JSONValue] = [:]
            for (key, value) in fields {
                if key.hasSuffix(Self.moneySuffix), let micros = value.integerValue {
                    shown[String(key.dropLast(Self.moneySuffix.count)) + "Usd"] = .string(MicroUSD(micros).usdString)
                } else if Self.dateKeys.contains(key), let seconds = value.numberValue {
                    shown[key] = .string(Date(timeIntervalSinceReferenceDate: seconds).formatted(EnvelopeResponse.dateFormat))
                } else {
                    shown[key] = value.publicForm
                }
            }
            return .object(shown)
        default:
            return self
        }
    }

    private var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    private var numberValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}
