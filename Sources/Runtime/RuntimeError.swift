/// A request the runtime refuses, with a stable code and a message for people.
public struct RuntimeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Stable codes; new ones may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case unknownJobKind = "unknown_job_kind", invalidJob = "invalid_job", closed }
        private let value: Value
        /// No handler is registered for the job's kind.
        public static let unknownJobKind = Code(value: .unknownJobKind)
        /// A field of the job is out of bounds.
        public static let invalidJob = Code(value: .invalidJob)
        /// The runtime is shutting down or closed.
        public static let closed = Code(value: .closed)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
