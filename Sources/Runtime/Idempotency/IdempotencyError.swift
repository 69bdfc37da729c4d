/// Why the idempotency store refused a call's input, with a stable code and a message for
/// people. Nothing was written. A bad tenant, key or fingerprint comes from the request (the
/// HTTP layer answers 400); a bad response is the server's own.
/// Failures of the database itself are `StoreError`s, not these.
public struct IdempotencyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes; new ones may be added (switch with a `default`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        /// The key is empty, or longer than 255 characters or 1,024 UTF-8 bytes.
        public static let invalidKey = Code("invalid_idempotency_key")
        /// The tenant id is empty or longer than 200 UTF-8 bytes.
        public static let invalidTenant = Code("invalid_tenant")
        /// The fingerprint is empty, longer than 64 bytes, or not hexadecimal.
        public static let invalidFingerprint = Code("invalid_fingerprint")
        /// The response cannot be stored: a status outside 100–599, a body over 16 MiB, headers
        /// over 64 KiB, or a header that could not be sent (an empty name, a name with ':', or a
        /// line break or NUL in a name or value). Not the client's fault: abandon the key instead.
        public static let invalidResponse = Code("invalid_response")
        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
