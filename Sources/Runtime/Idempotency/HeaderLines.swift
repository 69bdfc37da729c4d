/// How a stored response's headers sit in the `headers` column: one `name: value` line per
/// field, each ending in a line feed, as on the wire (readable in the sqlite3 shell). Names
/// never hold ':' and neither part holds a line break, so decoding gives back exactly the
/// pairs that were encoded; `problem(in:)` refuses anything else before it is written.
enum HeaderLines {
    /// The most bytes the encoded headers may take.
    static let maximumBytes = 64 << 10

    /// Why the headers cannot be stored, or nil when they can.
    static func problem(in headers: [(name: String, value: String)]) -> String? {
        var total = 0
        for (index, field) in headers.enumerated() {
            total += field.name.utf8.count + field.value.utf8.count + 3
            if total > maximumBytes { return "the headers take more than \(maximumBytes) bytes" }
            if field.name.isEmpty { return "header \(index + 1) has an empty name" }
            if field.name.utf8.contains(where: { $0 == UInt8(ascii: ":") || isBreak($0) }) {
                return "header \(index + 1)'s name holds ':', a line break or NUL"
            }
            if field.value.utf8.contains(where: isBreak) {
                return "the value of header '\(field.name.prefix(40))' holds a line break or NUL"
            }
        }
        return nil
    }

    private static func isBreak(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == 0
    }

    static func encode(_ headers: [(name: String, value: String)]) -> String {
        var text = ""
        for field in headers {
            text += field.name
            text += ": "
            text += field.value
            text += "\n"
        }
        return text
    }

    /// Decodes what `encode` wrote; a line without ':' (never written) becomes a name with an
    /// empty value rather than an error, so a hand-edited row still replays.
    static func decode(_ text: String) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                headers.append((String(decoding: line, as: UTF8.self), ""))
                continue
            }
            var valueStart = line.index(after: colon)
            if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart = line.index(after: valueStart) }
            headers.append((String(decoding: line[..<colon], as: UTF8.self), String(decoding: line[valueStart...], as: UTF8.self)))
        }
        return headers
    }
}
