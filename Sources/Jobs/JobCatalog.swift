public import Runtime

/// Every job kind Switchboard runs, registered in one place for `serve`.
public enum JobCatalog {
    /// The kinds that need nothing from outside (the no-op).
    public static func registry() -> JobRegistry {
        var registry = JobRegistry()
        registry.register(NoOpJob())
        return registry
    }

    /// Every kind, with the services the domain's jobs use.
    public static func registry(llm: LLMService, messaging: MessagingHub, webhooks: WebhookConfiguration = .development,
                                services: JobRuntime.Services) -> JobRegistry {
        var registry = registry()
        registry.register(OutboxRelayJob(relay: OutboxRelay(hub: messaging, backend: services.backend, wallets: services.wallets),
                                         fallbacks: MessageFallbacks(hub: messaging, backend: services.backend, wallets: services.wallets)))
        registry.register(TemplateSyncJob(sync: TemplateSync(hub: messaging, backend: services.backend)))
        registry.register(InferenceCompleteJob(llm: llm, wallets: services.wallets))
        let batches = BatchStore(backend: services.backend)
        registry.register(BatchItemJob(llm: llm, wallets: services.wallets, directory: BatchDirectory(store: batches)))
        registry.register(BatchFinalizeJob(batches: batches, jobs: services.jobs, wallets: services.wallets))
        registry.register(DeliveryApplyJob(backend: services.backend))
        registry.register(DeliveryReconcileJob(hub: messaging, backend: services.backend))
        registry.register(WebhookMaintenanceJob(backend: services.backend, wallets: services.wallets, configuration: webhooks))
        return registry
    }

    /// The tables the domain's jobs keep beside the runtime's: pass to `JobRuntime.open`.
    public static let migrations: [Migration] = BatchSchema.migrations + MessagingSchema.migrations + WebhookSchema.migrations
        + OperatorSchema.migrations
    /// The same tables on PostgreSQL.
    public static let postgresMigrations: [Migration] = BatchSchema.postgres + MessagingSchema.postgres + WebhookSchema.postgres

    /// The schedules the domain's jobs run on; saved at start only when missing, so an
    /// operator's change (through the schedules API) stays.
    public static let schedules: [Schedule] = [OutboxRelayJob.schedule, TemplateSyncJob.schedule, DeliveryReconcileJob.schedule,
                                                WebhookMaintenanceJob.schedule]

    public static func saveMissingSchedules(_ scheduler: Scheduler) async throws {
        for schedule in schedules where try await scheduler.schedule(named: schedule.name) == nil {
            _ = try await scheduler.save(schedule)
        }
    }
}
