public import Hummingbird
public import Logging
public import Runtime
public import Jobs
public import ServiceLifecycle

/// The HTTP server of Switchboard: both API prefixes, `/metrics` and `/openapi.json` on one
/// router over one runtime, each area served by its controller with only what it uses. Build
/// the router (tests drive it in process) or the application (a `Service` that serves until a
/// graceful shutdown, then finishes in-flight requests).
public struct HTTPFront: Sendable {
    public static let llmPrefix = "/llm-orch/v1"
    public static let cpaasPrefix = "/cpaas/v1"

    let runtime: JobRuntime
    let configuration: FrontConfiguration
    let verifier: TokenVerifier
    let metrics: FrontMetrics
    let dashboard: Dashboard
    let health: HealthController
    let twilioWebhooks: TwilioWebhooksController
    let sendGridEvents: SendGridEventsController
    let jobs: JobsController
    let wallets: WalletsController
    let inference: InferenceController
    let batches: BatchesController
    let messages: MessagesController
    let schedules: SchedulesController
    let suppressions: SuppressionsController
    let webhookEndpoints: WebhookEndpointsController

    public init(runtime: JobRuntime, configuration: FrontConfiguration, verifier: TokenVerifier, metrics: FrontMetrics,
                llm: LLMService, messaging: MessagingHub) {
        self.runtime = runtime
        self.configuration = configuration
        self.verifier = verifier
        self.metrics = metrics
        let body = JSONBody(limits: configuration.limits, clock: runtime.clock)
        let inferenceBatches = InferenceBatches(runtime: runtime)
        let messageService = Messages(hub: messaging, backend: runtime.backend, wallets: runtime.wallets)
        dashboard = Dashboard(runtime: runtime, llm: llm, messaging: messaging, messages: messageService, batches: inferenceBatches,
                              metrics: metrics, configuration: configuration)
        health = HealthController(runtime: runtime)
        twilioWebhooks = TwilioWebhooksController(runtime: runtime, messaging: messaging, body: body, publicBaseURL: configuration.publicBaseURL)
        sendGridEvents = SendGridEventsController(runtime: runtime, messaging: messaging, body: body)
        jobs = JobsController(runtime: runtime)
        wallets = WalletsController(runtime: runtime, body: body)
        inference = InferenceController(runtime: runtime, llm: llm, body: body)
        batches = BatchesController(runtime: runtime, llm: llm, batches: inferenceBatches,
                                    body: JSONBody(limits: configuration.limits.forBatches, clock: runtime.clock))
        messages = MessagesController(runtime: runtime, messaging: messaging, messages: messageService, body: body,
                                      relay: OutboxRelay(hub: messaging, backend: runtime.backend, wallets: runtime.wallets),
                                      templateSync: TemplateSync(hub: messaging, backend: runtime.backend))
        schedules = SchedulesController(runtime: runtime, body: body)
        suppressions = SuppressionsController(runtime: runtime)
        webhookEndpoints = WebhookEndpointsController(
            runtime: runtime, endpoints: WebhookEndpoints(backend: runtime.backend, configuration: configuration.webhooks, clock: runtime.clock),
            body: body)
        _ = OpenAPIDocument.bytes  // a build without its resources stops here, at start, not at the first request
    }

    /// The router with every route and the middleware chain of API.md:
    /// request id → tracing span → metrics → error envelope → request limits → (open routes) |
    /// internal key → (internal routes) | JWT → tenant context → tenant check → rate limit →
    /// error envelope → idempotency on creating POSTs → (tenant routes).
    public func router() -> Router<AppRequestContext> {
        buildRouter().router
    }

    /// The "METHOD path" entries of the router that only answer 405 (a known path, another method).
    var methodNotAllowedRoutes: Set<String> {
        Set(buildRouter().table.methodNotAllowed.map { "\($0.method.rawValue) \($0.path)" })
    }

    private func buildRouter() -> (router: Router<AppRequestContext>, table: RouteTable) {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        // A server span per request (continuing the client's `traceparent`); what the request
        // does, and what it enqueues, runs in its trace.
        router.add(middleware: TracingMiddleware<AppRequestContext>())
        router.add(middleware: TraceIDMiddleware())
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.add(middleware: RequestLimitsMiddleware(limits: configuration.limits))
        var table = RouteTable()

        let open = router.group()
        health.addRoutes(to: open, &table)
        twilioWebhooks.addRoutes(to: open, &table)  // authenticated by the provider's signature
        sendGridEvents.addRoutes(to: open, &table)
        addDocumentRoutes(open, &table)
        // HTML pages with their own sign-in (a session cookie), outside the API's route table and OpenAPI document.
        dashboard.addRoutes(to: router)

        let internalRoutes = router.group().add(middleware: InternalKeyMiddleware(key: configuration.internalAPIKey))
        wallets.addInternalRoutes(to: internalRoutes, &table)
        schedules.addRoutes(to: internalRoutes, &table)
        messages.addInternalRoutes(to: internalRoutes, &table)

        let tenantRoutes = router.group()
            .add(middleware: JWTAuthMiddleware(verifier: verifier))
            .group(context: TenantRequestContext.self)
            .add(middleware: TenantCheckMiddleware())
            .add(middleware: TenantRateLimitMiddleware(plans: configuration.plans, clock: runtime.clock, shared: runtime.rateBudget))
            .add(middleware: ErrorEnvelopeMiddleware<TenantRequestContext>())
        jobs.addRoutes(to: tenantRoutes, &table)
        wallets.addRoutes(to: tenantRoutes, &table)
        inference.addRoutes(to: tenantRoutes, &table)
        batches.addRoutes(to: tenantRoutes, &table)
        messages.addRoutes(to: tenantRoutes, &table)
        suppressions.addRoutes(to: tenantRoutes, &table)
        webhookEndpoints.addRoutes(to: tenantRoutes, &table)

        table.addMethodNotAllowed(to: router)
        return (router, table)
    }

    /// `/metrics` (when enabled) and `/openapi.json`: open, no envelope.
    private func addDocumentRoutes(_ group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        if configuration.metricsEnabled {
            table.get("/metrics", on: group) { _, _ in
                let text = try await metrics.scrape(runtime)
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
            }
        }
        table.get("/openapi.json", on: group) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: ResponseBody(byteBuffer: OpenAPIDocument.bytes))
        }
    }

    /// The server as a `Service`: serves until a graceful shutdown, then stops accepting, lets
    /// in-flight requests finish and runs `services` (the runtime) down after itself.
    public func application(services: [any Service] = [], logger: Logger,
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let limits = configuration.limits
        return Application(
            router: router(),
            server: .http1(configuration: .init(
                idleTimeout: .seconds(limits.idleTimeout.components.seconds),
                httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes,
                                                maxHeaderFieldCount: 200))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard"),
            // Last, so it stops first on shutdown (before the runtime it reads).
            services: services + [DashboardSampler(activity: metrics.activity, backend: runtime.backend, clock: runtime.clock)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
