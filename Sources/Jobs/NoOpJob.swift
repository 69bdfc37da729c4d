public import Runtime

/// A job that does nothing: for smoke tests, schedules that only need to prove they fire,
/// and the queue benchmark.
public struct NoOpJob: JobHandler {
    public struct Payload: Codable, Sendable {
        public init() {}
    }

    public static let kind = "noop"
    /// It does nothing, so a schedule may run it without a tenant.
    public var options: JobKindOptions { JobKindOptions(runsWithoutTenant: true) }

    public init() {}

    public func run(_ payload: Payload, context: JobContext) async throws -> NoOutput { NoOutput() }
}
