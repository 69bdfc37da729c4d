public import Foundation

/// The JSON form of job payloads and results as stored: dates as ISO 8601 text with
/// milliseconds (`2026-11-23T14:25:18.357Z`), like the API shows them. Reading also accepts a
/// number of seconds since 2001-01-01 (`JSONEncoder`'s default), the form rows written by
/// earlier versions hold, so an older database keeps working.
public enum JobJSON {
    static let dateFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let wholeSecondsFormat = Date.ISO8601FormatStyle()

    /// An encoder that writes dates as ISO 8601 (shared: `encode` is safe to call concurrently).
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(dateFormat))
        }
        return encoder
    }()

    /// A decoder that reads dates as ISO 8601 text or as seconds since 2001 (older rows).
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) { return Date(timeIntervalSinceReferenceDate: seconds) }
            let text = try container.decode(String.self)
            guard let date = date(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text.prefix(40))' is not an ISO 8601 date")
            }
            return date
        }
        return decoder
    }()

    /// ISO 8601 text, with or without fractional seconds, as a date.
    public static func date(_ text: String) -> Date? {
        (try? dateFormat.parse(text)) ?? (try? wholeSecondsFormat.parse(text))
    }
}
