/// A job's id: 64 bits, time-sortable (milliseconds since 1970 in the high 41 bits, a
/// sequence in the low 22), rendered as 13 characters of Crockford base32 so that string
/// order is creation order.
public struct JobID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }

    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    /// Parses the 13-character form; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 13 else { return nil }
        var value: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            guard let digit = Self.alphabet.firstIndex(of: byte | 0x20) else { return nil }
            // The first character carries only 4 bits (13 × 5 = 65).
            if index == 0 && digit > 15 { return nil }
            value = value << 5 | UInt64(digit)
        }
        guard value <= UInt64(Int64.max) else { return nil }
        rawValue = Int64(value)
    }

    public var description: String {
        var value = UInt64(rawValue)
        var chars = [UInt8](repeating: 0, count: 13)
        for index in stride(from: 12, through: 0, by: -1) {
            chars[index] = Self.alphabet[Int(value & 31)]
            value >>= 5
        }
        return String(decoding: chars, as: UTF8.self)
    }

    public static func < (lhs: JobID, rhs: JobID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = JobID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a job id: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The smallest id that can be made at `milliseconds`.
    static func floor(milliseconds: Int64) -> Int64 { max(0, milliseconds) << 22 }
}
