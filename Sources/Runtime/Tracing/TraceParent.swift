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

    /// The 32 hex digits of a `traceparent`'s trace id (`00-<trace id>-<span id>-<flags>`).
    public static func traceID(_ traceparent: String) -> String? {
        let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[1].utf8.count == 32 else { return nil }
        return String(parts[1])
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
