public import Foundation
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

    /// The kinds a schedule may run without a tenant (as `system`).
    public var tenantlessKinds: Set<String> { Set(handlers.filter { $0.value.options.runsWithoutTenant }.keys) }

    /// Why `payload` would not decode as `kind`'s payload (`batch is required`), or nil when it
    /// would (or the kind is unknown), so a schedule is refused when saved instead of failing when it fires.
    public func payloadProblem(kind: String, payload: Data) -> String? { handlers[kind]?.check(payload) }

    subscript(kind: String) -> RegisteredHandler? { handlers[kind] }
}

/// A handler with its payload type erased: JSON in, JSON out.
struct RegisteredHandler: Sendable {
    let options: JobKindOptions
    let execute: @Sendable (Data, JobContext) async throws -> Data?
    let check: @Sendable (Data) -> String?

    init<Handler: JobHandler>(_ handler: Handler) {
        options = handler.options
        let decoder = JobJSON.decoder
        let encoder = JobJSON.encoder
        check = { json in
            do {
                _ = try decoder.decode(Handler.Payload.self, from: json)
                return nil
            } catch let error as DecodingError {
                return PayloadProblem.describe(error)
            } catch {
                return "the payload does not decode: \(error)"
            }
        }
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
