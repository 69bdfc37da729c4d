public import Tracing

/// A trace context as its W3C `traceparent` text, written and read by the bootstrapped
/// instrument (swift-otel's W3C propagator in `serve`), so it can be stored with a job, an
/// outbox row or a webhook event and continued later by another task. With no instrument
/// bootstrapped (the no-op one) nothing is written and nothing is continued.
public enum TraceParent {
    public static let header = "traceparent"

    /// The `traceparent` of `context` (the current task's by default), or nil when it carries none.
    public static func of(_ context: ServiceContext? = ServiceContext.current) -> String? {
        guard let context else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier[header]
    }

    /// A context that continues the trace of `traceparent` (a new trace's top level when nil or malformed).
    public static func context(_ traceparent: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        if let traceparent {
            InstrumentationSystem.instrument.extract([header: traceparent], into: &context, using: DictionaryExtractor())
        }
        return context
    }

    /// The trace id of `traceparent: 00-<32 hex>-<16 hex>-<2 hex>` (ids not all zeros), read by
    /// the same rules as swift-otel's W3C propagator, so the id echoed in `meta.trace_id` is the
    /// one the request's span continues: a header either accepts is one both accept.
    public static func traceID(_ traceparent: String) -> String? {
        let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard traceparent.utf8.count == 55, parts.count == 4, parts[0] == "00", parts[1].utf8.count == 32, parts[2].utf8.count == 16,
              parts[3].utf8.count == 2, parts.allSatisfy({ $0.utf8.allSatisfy(isLowerHex) }),
              parts[1].utf8.contains(where: { $0 != UInt8(ascii: "0") }), parts[2].utf8.contains(where: { $0 != UInt8(ascii: "0") })
        else { return nil }
        return String(parts[1])
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
