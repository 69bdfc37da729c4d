import Foundation

/// A small JSON Schema checker for the keywords the served OpenAPI document uses: `$ref`
/// (within the document), `type` (one or a list, `null` included), `required`, `properties`,
/// `additionalProperties`, `items`, `enum`, `const`, `pattern` and `oneOf`. It returns every
/// mismatch with its JSON path, so a failing test says which field of which response is wrong.
struct SchemaChecker {
    let document: [String: Any]

    init(json: String) throws {
        document = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
    }

    /// The schema of the JSON body of `method path`'s response `status`, if the document has one.
    func responseSchema(method: String, path: String, status: Int) -> [String: Any]? {
        let operation = ((document["paths"] as? [String: Any])?[path] as? [String: Any])?[method.lowercased()] as? [String: Any]
        guard var response = (operation?["responses"] as? [String: Any])?[String(status)] as? [String: Any] else { return nil }
        if let reference = response["$ref"] as? String { response = resolve(reference) ?? [:] }
        return ((response["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
    }

    /// The success status codes and paths of every operation with a JSON response.
    var operations: [(method: String, path: String)] {
        var found: [(String, String)] = []
        for (path, item) in document["paths"] as? [String: Any] ?? [:] {
            for (method, operation) in item as? [String: Any] ?? [:] {
                guard let responses = (operation as? [String: Any])?["responses"] as? [String: Any] else { continue }
                let json = responses.contains { code, response in
                    code.hasPrefix("2") && (((response as? [String: Any])?["content"] as? [String: Any])?["application/json"]) != nil
                }
                if json { found.append((method.uppercased(), path)) }
            }
        }
        return found
    }

    func resolve(_ reference: String) -> [String: Any]? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any? = document
        for part in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
        return node as? [String: Any]
    }

    /// Every way `value` does not match `schema`, as `path: what`.
    func problems(_ value: Any, _ schema: [String: Any], at path: String = "$") -> [String] {
        if let reference = schema["$ref"] as? String {
            guard let target = resolve(reference) else { return ["\(path): unresolved \(reference)"] }
            return problems(value, target, at: path)
        }
        if let choices = schema["oneOf"] as? [[String: Any]] {
            let matching = choices.filter { problems(value, $0, at: path).isEmpty }
            if matching.count != 1 {
                return ["\(path): matches \(matching.count) of oneOf"] + (choices.last.map { problems(value, $0, at: path) } ?? [])
            }
        }
        var found: [String] = []
        if let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map({ [$0] }), !types.contains(where: { Self.isType(value, $0) }) {
            return ["\(path): \(Self.describe(value)) is not \(types.joined(separator: " or "))"]
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal($0, value) }) {
            found.append("\(path): \(Self.describe(value)) is not one of the enum")
        }
        if let constant = schema["const"], !Self.equal(constant, value) { found.append("\(path): \(Self.describe(value)) is not the const") }
        if let pattern = schema["pattern"] as? String, let text = value as? String,
           text.range(of: pattern, options: .regularExpression) == nil {
            found.append("\(path): '\(text)' does not match \(pattern)")
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path): required property '\(key)' is missing")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, field) in object {
                if let propertySchema = properties[key] as? [String: Any] {
                    found += problems(field, propertySchema, at: "\(path).\(key)")
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    found += problems(field, extra, at: "\(path).\(key)")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, element) in array.enumerated() { found += problems(element, items, at: "\(path)[\(index)]") }
        }
        return found
    }

    static func isType(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "boolean": return isBool(value)
        case "integer":
            guard let number = value as? NSNumber, !isBool(value) else { return false }
            return number.doubleValue.rounded() == number.doubleValue
        case "number": return value is NSNumber && !isBool(value)
        default: return true
        }
    }

    static func isBool(_ value: Any) -> Bool {
        // JSONSerialization gives true/false as an NSNumber of type `c` (a C char), numbers as `i`, `q` or `d`.
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    static func equal(_ lhs: Any, _ rhs: Any) -> Bool {
        (lhs as? NSObject)?.isEqual(rhs) ?? false
    }

    static func describe(_ value: Any) -> String {
        String(describing: value).prefix(60).description
    }
}
