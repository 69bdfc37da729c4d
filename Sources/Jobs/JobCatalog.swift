public import Runtime

/// Every job kind Switchboard runs, registered in one place for `serve`.
public enum JobCatalog {
    public static func registry() -> JobRegistry {
        var registry = JobRegistry()
        registry.register(NoOpJob())
        return registry
    }
}
