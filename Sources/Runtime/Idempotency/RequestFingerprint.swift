public import Foundation

/// What identifies a request for idempotency: the caller's digest (SHA-256 of the method, the
/// route and the canonical body; this module does not compute it). Holds 1 to 64 bytes, so a
/// value that exists is always storable; two requests are the same when the bytes are equal.
public struct RequestFingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The most bytes a fingerprint may have (a SHA-512 digest; SHA-256 takes 32).
    public static let maximumByteCount = 64

    public let bytes: Data

    /// Wraps a digest; refuses an empty one or one longer than 64 bytes.
    public init(_ bytes: Data) throws(IdempotencyError) {
        guard !bytes.isEmpty, bytes.count <= Self.maximumByteCount else {
            throw IdempotencyError(.invalidFingerprint, "a fingerprint must be 1 to \(Self.maximumByteCount) bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Parses a digest written in hexadecimal (either case); refuses anything else.
    public init(hex: String) throws(IdempotencyError) {
        let digits = hex.utf8
        guard !digits.isEmpty, digits.count <= 2 * Self.maximumByteCount, digits.count.isMultiple(of: 2) else {
            throw IdempotencyError(.invalidFingerprint,
                                   "a hexadecimal fingerprint must have an even number of digits, 2 to \(2 * Self.maximumByteCount)")
        }
        var bytes = Data(capacity: digits.count / 2)
        var high: UInt8?
        for digit in digits {
            guard let value = Self.nibble(digit) else {
                throw IdempotencyError(.invalidFingerprint, "a hexadecimal fingerprint may hold only 0-9, a-f and A-F")
            }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        self.bytes = bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The bytes in lowercase hexadecimal.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public var description: String { hex }
}
