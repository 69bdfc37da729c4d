/// A payload's decoding failure in words that name the field, `payload.batch is required`,
/// for refusing a schedule when it is saved.
enum PayloadProblem {
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "payload is not valid JSON" : "\(path(context.codingPath)) is invalid"
        @unknown default:
            return "payload does not decode"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var path = "payload"
        for key in keys { path += key.intValue.map { "[\($0)]" } ?? "." + key.stringValue }
        return path
    }
}
