import Foundation
import Runtime

/// Parsers for the time formats providers put in rate-limit headers. Each accepts the whole
/// value (surrounding spaces aside) or returns nil: garbage is never half-read. Durations come
/// back in whole milliseconds, rounded up and saturating at `RateLimitTime.longestWait`;
/// instants in milliseconds since 1970, rounded up.
enum HeaderTime {
    /// A non-negative decimal count of `unit` nanoseconds: `120`, `1.5`, `.25`.
    static func decimal(_ text: String, unitNanoseconds unit: Int128) -> Int64? {
        var scanner = ByteScanner(text)
        guard let nanoseconds = scanner.decimal(unitNanoseconds: unit), scanner.atEnd else { return nil }
        return milliseconds(nanoseconds)
    }

    /// A Go-style duration as OpenAI sends it: `1s`, `6m0s`, `20ms`, `1h2m3.5s`, `0`; units
    /// `h`, `m`, `s`, `ms`, `us`/`µs`, `ns`. A bare number is read as seconds.
    static func goDuration(_ text: String) -> Int64? {
        var scanner = ByteScanner(text)
        guard !scanner.atEnd else { return nil }
        if let seconds = decimal(text, unitNanoseconds: 1_000_000_000) { return seconds }
        var total: Int128 = 0
        while !scanner.atEnd {
            // Each part: a number, then its unit; the unit's value scales the number.
            let start = scanner.index
            guard scanner.skipDecimal() else { return nil }
            let number = scanner.bytes[start..<scanner.index]
            guard let unit = goUnits[scanner.letters()] else { return nil }
            var part = ByteScanner(bytes: Array(number))
            guard let nanoseconds = part.decimal(unitNanoseconds: unit) else { return nil }
            total = min(total + nanoseconds, saturated)
        }
        return milliseconds(total)
    }

    private static let goUnits: [String: Int128] = [
        "h": 3_600_000_000_000, "m": 60_000_000_000, "s": 1_000_000_000, "ms": 1_000_000,
        "us": 1_000, "\u{B5}s": 1_000, "\u{3BC}s": 1_000, "ns": 1,
    ]

    /// An HTTP-date (RFC 9110): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, or the obsolete
    /// RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994` forms,
    /// read with Foundation's fixed-format date parser.
    static func httpDate(_ text: String, now: Date) -> Int64? {
        let text = text.trimmingCharacters(in: .whitespaces)
        for format in httpDateFormats {
            if let date = httpDateParser(format, now: now).date(from: text) { return milliseconds(of: date) }
        }
        return nil
    }

    private static let httpDateFormats = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"]

    /// A fresh formatter per call: `DateFormatter` is not safe to share across threads, and
    /// reading a header is rare (a 429).
    private static func httpDateParser(_ format: String, now: Date) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = format
        formatter.isLenient = false
        // RFC 9110: a two-digit year more than 50 years ahead is the most recent past one.
        formatter.twoDigitStartDate = now.addingTimeInterval(-50 * 365.2425 * 86_400)
        return formatter
    }

    /// An RFC 3339 date-time as Anthropic sends it: `2026-01-01T12:00:30Z`,
    /// `2026-01-01T12:00:30.25+01:00`, read with Foundation's ISO 8601 parser.
    static func rfc3339(_ text: String) -> Int64? {
        // RFC 3339 allows lower-case `t` and `z`; ISO 8601 parsing wants them upper-case.
        let text = text.trimmingCharacters(in: .whitespaces).uppercased()
        let plain = Date.ISO8601FormatStyle()
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        guard let date = (try? Date(text, strategy: plain)) ?? (try? Date(text, strategy: fractional)) else { return nil }
        return milliseconds(of: date)
    }

    /// Milliseconds since 1970, rounded up.
    private static func milliseconds(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.up))
    }

    /// Beyond the longest wait, in nanoseconds.
    private static let saturated = Int128(RateLimitTime.longestWait) * 1_000_000

    private static func milliseconds(_ nanoseconds: Int128) -> Int64 {
        Int64(min((nanoseconds + 999_999) / 1_000_000, Int128(RateLimitTime.longestWait)))
    }
}

/// A cursor over the bytes of a header value, with the few lexical pieces the formats share.
private struct ByteScanner {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The value without surrounding spaces and tabs (optional white space in HTTP).
    init(_ text: String) {
        let value = text.utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        self.init(bytes: Array(value))
    }

    var atEnd: Bool { index == bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    /// Letters (and, for `µs`, any non-ASCII bytes) up to the next digit, space or punctuation.
    mutating func letters() -> String {
        let start = index
        while let byte = peek, (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte >= 0x80 {
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Skips a decimal number (`12`, `1.5`, `.5`, `5.`); false, having skipped nothing, if
    /// there is none.
    mutating func skipDecimal() -> Bool {
        let start = index
        var sawDigit = false
        while let byte = peek, (0x30...0x39).contains(byte) { index += 1; sawDigit = true }
        if skip(UInt8(ascii: ".")) {
            while let byte = peek, (0x30...0x39).contains(byte) { index += 1; sawDigit = true }
        }
        if !sawDigit { index = start }
        return sawDigit
    }

    /// A non-negative decimal number times `unit`, in nanoseconds rounded up, saturating far
    /// beyond any cap (more than 12 integer digits).
    mutating func decimal(unitNanoseconds unit: Int128) -> Int128? {
        var whole: Int128 = 0, wholeDigits = 0, fraction: Int128 = 0, fractionDigits = 0
        var sawDigit = false, roundUp = false
        while let byte = peek, (0x30...0x39).contains(byte) {
            if wholeDigits < 13 { whole = whole * 10 + Int128(byte - 0x30) }
            if whole > 0 { wholeDigits += 1 }
            index += 1
            sawDigit = true
        }
        if skip(UInt8(ascii: ".")) {
            while let byte = peek, (0x30...0x39).contains(byte) {
                if fractionDigits < 12 {
                    fraction = fraction * 10 + Int128(byte - 0x30)
                    fractionDigits += 1
                } else if byte != 0x30 {
                    roundUp = true
                }
                index += 1
                sawDigit = true
            }
        }
        guard sawDigit else { return nil }
        if wholeDigits > 12 { return Int128(RateLimitTime.longestWait) * 1_000_000 + 1 }
        var scale: Int128 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let fractional = (fraction * unit + scale - 1) / scale
        return whole * unit + fractional + (roundUp ? 1 : 0)
    }
}
