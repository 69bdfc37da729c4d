/// The ids the API accepts from clients for tenants and users: printable ASCII of a small
/// alphabet, so that an id with a NUL, a trailing space, a zero-width or control character can
/// never pass for another tenant or a new one. Tenants: `[A-Za-z0-9._:-]{1,128}` (UUIDs fit);
/// users (`sub`) also take `@`, `|` and `+` (`auth0|…`, `google-oauth2|…`, e-mail-like subjects),
/// up to 255 bytes.
enum CleanID {
    static let maxTenantBytes = 128
    static let maxSubjectBytes = 255

    static func isTenant(_ id: String) -> Bool {
        isClean(id, max: maxTenantBytes, extra: [])
    }

    static func isSubject(_ id: String) -> Bool {
        isClean(id, max: maxSubjectBytes, extra: [UInt8(ascii: "@"), UInt8(ascii: "|"), UInt8(ascii: "+")])
    }

    private static func isClean(_ id: String, max: Int, extra: Set<UInt8>) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= max else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"): true
            default: extra.contains(byte)
            }
        }
    }
}
