/// An optional field that is encoded as `null` when it has no value, instead of being left out
/// (what `JSONEncoder` does with optionals): the OpenAPI document marks every field of a view
/// required, so clients see the same keys on every object. Mark a view's optional properties
/// with it and keep the synthesized `Encodable`.
@propertyWrapper
struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
