import Foundation

/// One pass over a request's JSON text, before `JSONDecoder`, for what the decoder lets through
/// or reports without naming a field:
/// - a key twice in one object (parsers differ on which value wins, so a proxy in front could
///   see another request than we run): 400 naming it;
/// - a number out of range of a double (`1e400`): 400 naming its field;
/// - at the paths a `BodySchema` lists, a key the body does not have, or a `null` for a field
///   that does not take one: 400 naming it.
/// Text that is not JSON is left to the decoder, which reports it; nesting deeper than
/// `maxDepth` is not looked into (the decoder refuses it).
struct JSONScan {
    static let maxDepth = 256

    private enum Container {
        /// An object: its path, its schema path (indices as `[]`), the keys seen.
        case object(path: String, schemaPath: String, keys: Set<String>)
        case array(path: String, schemaPath: String, index: Int)
    }

    private let bytes: UnsafeRawBufferPointer
    private let schema: BodySchema
    private var position = 0
    private var stack: [Container] = []

    private init(_ bytes: UnsafeRawBufferPointer, schema: BodySchema) {
        self.bytes = bytes
        self.schema = schema
    }

    /// Scans `data`; throws the first problem found as a 400.
    static func check(_ data: Data, schema: BodySchema = BodySchema()) throws(APIError) {
        let problem: APIError? = data.withUnsafeBytes { raw in
            var scan = JSONScan(raw, schema: schema)
            do throws(APIError) { try scan.run() } catch { return error }
            return nil
        }
        if let problem { throw problem }
    }

    /// Walks values until the text ends or stops being JSON (then the decoder speaks).
    private mutating func run() throws(APIError) {
        var pendingKey: String?
        while true {
            skipSpace()
            guard position < bytes.count else { return }
            // Inside an object, a value is preceded by its key.
            if case .object(let path, let schemaPath, var keys)? = stack.last, pendingKey == nil {
                let byte = bytes[position]
                if byte == UInt8(ascii: "}") { position += 1; closeValue(); continue }
                if byte == UInt8(ascii: ",") { position += 1; continue }
                guard byte == UInt8(ascii: "\""), let key = readString() else { return }
                let field = path.isEmpty ? key : path + "." + key
                guard keys.insert(key).inserted else {
                    throw APIError.invalid(field, "\(field) appears more than once; send each key once")
                }
                if let allowed = schema.fields[schemaPath], !allowed.keys.contains(key) {
                    throw APIError.invalid(field, "\(field) is not a field of this request")
                }
                stack[stack.count - 1] = .object(path: path, schemaPath: schemaPath, keys: keys)
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return }
                position += 1
                pendingKey = key
                continue
            }
            if case .array(let path, let schemaPath, let index)? = stack.last, pendingKey == nil {
                let byte = bytes[position]
                if byte == UInt8(ascii: "]") { position += 1; closeValue(); continue }
                if byte == UInt8(ascii: ",") {
                    position += 1
                    stack[stack.count - 1] = .array(path: path, schemaPath: schemaPath, index: index + 1)
                    continue
                }
            }
            // A value: its path and schema path.
            let key = pendingKey
            let (path, schemaPath) = valuePath(key: key)
            pendingKey = nil
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard stack.count < Self.maxDepth else { return }
                position += 1
                stack.append(byte == UInt8(ascii: "{") ? .object(path: path, schemaPath: schemaPath, keys: [])
                                                       : .array(path: path, schemaPath: schemaPath, index: 0))
            case UInt8(ascii: "\""):
                guard readString() != nil else { return }
            case UInt8(ascii: "n"):
                if let key, let parent = parentSchemaPath(),
                   let allowed = schema.fields[parent], !allowed.nullable.contains(key) {
                    throw APIError.invalid(path, "\(path) must not be null; leave it out instead")
                }
                guard skipLiteral() else { return }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = position
                while position < bytes.count, Self.isNumberByte(bytes[position]) { position += 1 }
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                if let value = Double(text), !value.isFinite {
                    throw APIError.invalid(path, "\(path.isEmpty ? "the body" : path) is out of range: \(text.prefix(40))")
                }
            default:
                guard skipLiteral() else { return }  // true or false; anything else the decoder reports
            }
        }
    }

    /// The path of the value that comes next: a key in an object, an index in an array.
    private func valuePath(key: String?) -> (String, String) {
        switch stack.last {
        case .object(let path, let schemaPath, _)?:
            let key = key ?? ""
            return (path.isEmpty ? key : path + "." + key, schemaPath.isEmpty ? key : schemaPath + "." + key)
        case .array(let path, let schemaPath, let index)?:
            return (path + "[\(index)]", schemaPath + "[]")
        case nil:
            return ("", "")
        }
    }

    /// The schema path of the object that holds the value being read.
    private func parentSchemaPath() -> String? {
        if case .object(_, let schemaPath, _)? = stack.last { return schemaPath }
        return nil
    }

    private mutating func closeValue() {
        if !stack.isEmpty { stack.removeLast() }
    }

    /// Skips the letters of a literal (`true`, `false`, `null`); false when there are none.
    private mutating func skipLiteral() -> Bool {
        let start = position
        while position < bytes.count, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[position]) { position += 1 }
        return position > start
    }

    private mutating func skipSpace() {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 {
            position += 1
        }
    }

    /// The string at `position` (which holds its opening quote), unescaped; nil when it does not end.
    private mutating func readString() -> String? {
        let start = position
        position += 1
        var escaped = false
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\\") {
                escaped = true
                position += 1
            } else if byte == UInt8(ascii: "\"") {
                let token = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                guard escaped else { return String(decoding: token.dropFirst().dropLast(), as: UTF8.self) }
                // Rare: let the decoder unescape it, so `"\u0061"` and `"a"` are the same key.
                return try? JSONDecoder().decode(String.self, from: Data(token))
            }
        }
        return nil
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"),
             UInt8(ascii: "E"): true
        default: false
        }
    }
}

/// The keys a request body may have, per path (`""` the body itself, `items[]` each item of
/// `items`), and which of them may be `null`. Paths it does not list (free-form objects such
/// as a template's variables) take any key.
struct BodySchema: Sendable {
    struct Fields: Sendable {
        var keys: Set<String>
        var nullable: Set<String> = []
    }

    var fields: [String: Fields] = [:]
}
