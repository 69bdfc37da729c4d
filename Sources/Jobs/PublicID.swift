/// Ids the API hands out for things other than jobs: a prefix and 24 random hex digits
/// (`batch_3f9c…`, `msg_…`), unguessable and fixed in length.
enum PublicID {
    static func make(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let high = String(generator.next() as UInt64, radix: 16), low = String(generator.next() as UInt32, radix: 16)
        return prefix + String(repeating: "0", count: 16 - high.count) + high + String(repeating: "0", count: 8 - low.count) + low
    }
}
