import Foundation

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
    /// RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994` forms.
    /// A two-digit year is the most recent one that is not more than 50 years after `now`.
    static func httpDate(_ text: String, now: Date) -> Int64? {
        var scanner = ByteScanner(text)
        guard !scanner.letters().isEmpty else { return nil }
        let year: Int, month: Int, day: Int, time: (Int, Int, Int)
        if scanner.skip(UInt8(ascii: ",")) {
            scanner.skipSpaces()
            guard let dayOfMonth = scanner.number(digits: 1...2) else { return nil }
            day = dayOfMonth
            if scanner.skip(UInt8(ascii: "-")) {
                // RFC 850: 06-Nov-94
                guard let m = months[scanner.letters().lowercased()], scanner.skip(UInt8(ascii: "-")),
                      let y = scanner.number(digits: 2...4) else { return nil }
                month = m
                year = y >= 100 ? y : twoDigitYear(y, now: now)
            } else {
                guard scanner.skipSpaces(), let m = months[scanner.letters().lowercased()], scanner.skipSpaces(),
                      let y = scanner.number(digits: 4...4) else { return nil }
                (month, year) = (m, y)
            }
            guard scanner.skipSpaces(), let t = scanner.timeOfDay(), scanner.skipSpaces() else { return nil }
            time = t
            guard ["GMT", "UTC"].contains(scanner.letters()) else { return nil }
        } else {
            // asctime: Sun Nov  6 08:49:37 1994
            guard scanner.skipSpaces(), let m = months[scanner.letters().lowercased()], scanner.skipSpaces(),
                  let d = scanner.number(digits: 1...2), scanner.skipSpaces(), let t = scanner.timeOfDay(),
                  scanner.skipSpaces(), let y = scanner.number(digits: 4...4) else { return nil }
            (month, day, year, time) = (m, d, y, t)
        }
        guard scanner.atEnd else { return nil }
        return instant(year: year, month: month, day: day, time: time, nanoseconds: 0, offsetSeconds: 0)
    }

    /// An RFC 3339 date-time as Anthropic sends it: `2026-01-01T12:00:30Z`,
    /// `2026-01-01T12:00:30.25+01:00`.
    static func rfc3339(_ text: String) -> Int64? {
        var scanner = ByteScanner(text)
        guard let year = scanner.number(digits: 4...4), scanner.skip(UInt8(ascii: "-")),
              let month = scanner.number(digits: 2...2), scanner.skip(UInt8(ascii: "-")),
              let day = scanner.number(digits: 2...2),
              scanner.skip(UInt8(ascii: "T")) || scanner.skip(UInt8(ascii: "t")) || scanner.skip(UInt8(ascii: " ")),
              let time = scanner.timeOfDay() else { return nil }
        var nanoseconds: Int128 = 0
        if scanner.peek == UInt8(ascii: ".") {
            guard let fraction = scanner.decimal(unitNanoseconds: 1_000_000_000) else { return nil }
            nanoseconds = fraction
        }
        let offset: Int
        if scanner.skip(UInt8(ascii: "Z")) || scanner.skip(UInt8(ascii: "z")) {
            offset = 0
        } else {
            let sign = scanner.skip(UInt8(ascii: "+")) ? 1 : scanner.skip(UInt8(ascii: "-")) ? -1 : 0
            guard sign != 0, let hours = scanner.number(digits: 2...2), hours < 24, scanner.skip(UInt8(ascii: ":")),
                  let minutes = scanner.number(digits: 2...2), minutes < 60 else { return nil }
            offset = sign * (hours * 3_600 + minutes * 60)
        }
        guard scanner.atEnd else { return nil }
        return instant(year: year, month: month, day: day, time: time, nanoseconds: nanoseconds, offsetSeconds: offset)
    }

    private static let months = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                                 "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]

    private static func twoDigitYear(_ twoDigits: Int, now: Date) -> Int {
        let thisYear = CivilTime(localSeconds: Int64(now.timeIntervalSince1970.rounded(.down))).year
        let candidate = thisYear - thisYear % 100 + twoDigits
        return candidate > thisYear + 50 ? candidate - 100 : candidate
    }

    /// Milliseconds since 1970 (rounded up) of a UTC-offset civil time, or nil if it is no
    /// valid date (Feb 30) or time (a leap second counts as the last second of its minute).
    private static func instant(year: Int, month: Int, day: Int, time: (hour: Int, minute: Int, second: Int),
                                nanoseconds: Int128, offsetSeconds: Int) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), time.hour < 24, time.minute < 60, time.second <= 60 else {
            return nil
        }
        let civil = CivilTime(year: year, month: month, day: day, hour: time.hour, minute: time.minute)
        guard CivilTime(localSeconds: civil.localSeconds) == civil else { return nil }
        let seconds = civil.localSeconds + Int64(min(time.second, 59) - offsetSeconds)
        return seconds * 1000 + Int64((nanoseconds + 999_999) / 1_000_000)
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

    /// Skips one or more spaces; false if there was none.
    @discardableResult
    mutating func skipSpaces() -> Bool {
        let start = index
        while peek == 0x20 { index += 1 }
        return index > start
    }

    /// Letters (and, for `µs`, any non-ASCII bytes) up to the next digit, space or punctuation.
    mutating func letters() -> String {
        let start = index
        while let byte = peek, (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte >= 0x80 {
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// A number of exactly `digits.lowerBound…upperBound` decimal digits.
    mutating func number(digits: ClosedRange<Int>) -> Int? {
        let start = index
        var value = 0
        while let byte = peek, (0x30...0x39).contains(byte), index - start < digits.upperBound {
            value = value * 10 + Int(byte - 0x30)
            index += 1
        }
        guard digits.contains(index - start), !(peek.map { (0x30...0x39).contains($0) } ?? false) else { return nil }
        return value
    }

    /// `HH:MM:SS`.
    mutating func timeOfDay() -> (hour: Int, minute: Int, second: Int)? {
        guard let hour = number(digits: 2...2), skip(UInt8(ascii: ":")), let minute = number(digits: 2...2),
              skip(UInt8(ascii: ":")), let second = number(digits: 2...2) else { return nil }
        return (hour, minute, second)
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
