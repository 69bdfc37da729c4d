import Foundation
@testable import Runtime
import Testing

@Suite("Job JSON")
struct JobJSONTests {
    struct Timed: Codable, Equatable { var deadline: Date }

    @Test("dates are written as ISO 8601 text")
    func writesISO() throws {
        let text = String(decoding: try JobJSON.encoder.encode(Timed(deadline: Date(timeIntervalSince1970: 1_800_000_000.25))), as: UTF8.self)
        #expect(text == #"{"deadline":"2027-01-15T08:00:00.250Z"}"#)
    }

    @Test("dates are read from ISO 8601 text, with or without fractions, and from the old seconds-since-2001 form",
          arguments: [#"{"deadline":"2027-01-15T08:00:00.250Z"}"#, #"{"deadline":"2027-01-15T08:00:00Z"}"#, #"{"deadline":821692800.25}"#])
    func readsBoth(json: String) throws {
        let decoded = try JobJSON.decoder.decode(Timed.self, from: Data(json.utf8))
        #expect(abs(decoded.deadline.timeIntervalSince1970 - 1_800_000_000.25) < 0.3)
    }

    @Test("a handler's payload with a date round-trips through a job")
    func roundTrip() throws {
        let value = Timed(deadline: Date(timeIntervalSince1970: 1_800_000_000.5))
        #expect(try JobJSON.decoder.decode(Timed.self, from: JobJSON.encoder.encode(value)) == value)
    }
}
