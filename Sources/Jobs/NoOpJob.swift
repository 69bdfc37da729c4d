public import Runtime

/// A job that does nothing: for smoke tests, schedules that only need to prove they fire,
/// and the queue benchmark.
public struct NoOpJob: JobHandler {
    public struct Payload: Codable, Sendable {
        public init() {}
    }

    public static let kind = "noop"

    public init() {}

    public func run(_ payload: Payload, context: JobContext) async throws -> NoOutput { NoOutput() }
}
