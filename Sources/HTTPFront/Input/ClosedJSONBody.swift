/// A JSON request body with a closed set of fields: `JSONBody` refuses a key it does not have
/// (a typo such as `send_at` must not silently mean "now") and a `null` for a field that does
/// not take one, with a 400 naming it. Conformers list their keys as a `CaseIterable`
/// `CodingKeys`, so the schema cannot drift from the properties.
protocol ClosedJSONBody: Decodable {
    static var schema: BodySchema { get }
}

extension BodySchema.Fields {
    /// The keys of `CodingKeys`; `nullable` of them may be `null` (meaning: not set).
    init<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type, nullable: Set<String> = []) {
        self.init(keys: Set(keys.allCases.map(\.stringValue)), nullable: nullable)
    }
}

extension BodySchema {
    /// A body whose top level has exactly `keys`.
    init<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type, nullable: Set<String> = []) {
        self.init(fields: ["": Fields(keys, nullable: nullable)])
    }
}
