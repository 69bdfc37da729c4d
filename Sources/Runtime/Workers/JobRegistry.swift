import Foundation
import Logging

/// The handlers a runtime can run, by kind. Build it, then hand it to the runtime, which
/// keeps it frozen (an immutable value) for its lifetime.
public struct JobRegistry: Sendable {
    private(set) var handlers: [String: RegisteredHandler] = [:]

    public init() {}

    /// Registers `handler` for its kind (replacing any earlier one).
    public mutating func register<Handler: JobHandler>(_ handler: Handler) {
        handlers[Handler.kind] = RegisteredHandler(handler)
    }

    /// A copy with `handler` registered too.
    func adding<Handler: JobHandler>(_ handler: Handler) -> JobRegistry {
        var copy = self
        copy.register(handler)
        return copy
    }

    /// The kinds that have a handler.
    public var kinds: Set<String> { Set(handlers.keys) }

    func options(for kind: String) -> JobKindOptions? { handlers[kind]?.options }

    subscript(kind: String) -> RegisteredHandler? { handlers[kind] }
}

/// A handler with its payload type erased: JSON in, JSON out.
struct RegisteredHandler: Sendable {
    let options: JobKindOptions
    let execute: @Sendable (Data, JobContext) async throws -> Data?

    init<Handler: JobHandler>(_ handler: Handler) {
        options = handler.options
        let decoder = JobJSON.decoder
        let encoder = JobJSON.encoder
        execute = { json, context in
            let payload: Handler.Payload
            do {
                payload = try decoder.decode(Handler.Payload.self, from: json)
            } catch {
                throw JobFailure.permanent("the payload does not decode as \(Handler.Payload.self): \(error)")
            }
            let output = try await handler.run(payload, context: context)
            if output is NoOutput { return nil }
            return try encoder.encode(output)
        }
    }
}
