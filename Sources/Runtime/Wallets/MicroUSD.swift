/// An amount of money in integer micro-USD (1 USD = 1,000,000). Money is never a `Double`:
/// it is parsed from and printed as exact decimal strings (`"0.000125"`).
public struct MicroUSD: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: Int64

    public static let perUSD: Int64 = 1_000_000
    public static let zero = MicroUSD(0)
    /// The largest amount accepted in one operation or held by one wallet: one billion USD.
    /// Larger figures are mistakes, and the bound keeps every sum far from `Int64` overflow.
    public static let maximum = MicroUSD(1_000_000_000 * perUSD)

    public init(_ value: Int64) { self.value = value }

    /// Whole micro-USD from a count of USD, for code and tests (`MicroUSD(usd: 5)`).
    public init(usd: Int64) { value = usd * Self.perUSD }

    /// Parses a non-negative decimal USD string exactly: digits, optionally a point and one to
    /// six more digits (`"12"`, `"0.05"`, `"0.000125"`). Refuses signs, exponents, spaces, more
    /// than six decimals and amounts above `maximum`, saying which.
    public init(parsingUSD text: String) throws(MoneyError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw MoneyError(.empty, text) }
        if bytes.first == UInt8(ascii: "-") { throw MoneyError(.negative, text) }
        let point = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = bytes[..<(point ?? bytes.endIndex)]
        let fraction = point.map { bytes[($0 + 1)...] } ?? []
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard !whole.isEmpty, whole.allSatisfy(isDigit), fraction.allSatisfy(isDigit), point == nil || !fraction.isEmpty else {
            throw MoneyError(.malformed, text)
        }
        guard fraction.count <= 6 else { throw MoneyError(.tooPrecise, text) }
        // Leading zeros are harmless; more significant digits than `maximum` has are not.
        let significant = whole.drop { $0 == UInt8(ascii: "0") }
        guard significant.count <= 10 else { throw MoneyError(.tooLarge, text) }
        var micros: Int64 = 0
        for digit in significant { micros = micros * 10 + Int64(digit - UInt8(ascii: "0")) }
        micros *= Self.perUSD
        var scale = Self.perUSD / 10
        for digit in fraction {
            micros += Int64(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        guard micros <= Self.maximum.value else { throw MoneyError(.tooLarge, text) }
        value = micros
    }

    /// The amount as a decimal USD string with at least two decimals and no trailing zeros
    /// beyond them: `"12.00"`, `"0.05"`, `"0.000125"`, `"-1.50"`.
    public var usdString: String {
        let magnitude = value.magnitude
        let whole = magnitude / UInt64(Self.perUSD)
        var fraction = String(magnitude % UInt64(Self.perUSD))
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > 2 && fraction.hasSuffix("0") { fraction.removeLast() }
        return (value < 0 ? "-" : "") + "\(whole).\(fraction)"
    }

    public var description: String { usdString }

    public static func < (lhs: MicroUSD, rhs: MicroUSD) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: MicroUSD, rhs: MicroUSD) -> MicroUSD { MicroUSD(lhs.value + rhs.value) }
    public static func - (lhs: MicroUSD, rhs: MicroUSD) -> MicroUSD { MicroUSD(lhs.value - rhs.value) }
}

/// Why a money string was refused; `code` is stable, the message names the input.
public struct MoneyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case empty, malformed, negative
        case tooPrecise = "too_precise"
        case tooLarge = "too_large"
    }

    public let reason: Reason
    public let input: String

    init(_ reason: Reason, _ input: String) {
        self.reason = reason
        self.input = String(input.prefix(40))
    }

    public var description: String {
        switch reason {
        case .empty: "an amount is required"
        case .malformed: "'\(input)' is not a decimal USD amount like \"0.05\""
        case .negative: "'\(input)' is negative; amounts must be zero or more"
        case .tooPrecise: "'\(input)' has more than 6 decimal places (the smallest unit is 0.000001 USD)"
        case .tooLarge: "'\(input)' is larger than the maximum of 1000000000 USD"
        }
    }
}
