public import Hummingbird
public import Logging
public import Runtime
public import Jobs
public import ServiceLifecycle

/// The HTTP server of Switchboard: both API prefixes, `/metrics` and `/openapi.json` on one
/// router over one runtime. Build the router (tests drive it in process) or the application
/// (a `Service` that serves until a graceful shutdown, then finishes in-flight requests).
public struct HTTPFront: Sendable {
    public static let llmPrefix = "/llm-orch/v1"
    public static let cpaasPrefix = "/cpaas/v1"

    let runtime: JobRuntime
    let configuration: FrontConfiguration
    let verifier: TokenVerifier
    let metrics: FrontMetrics
    let llm: LLMService
    let batches: InferenceBatches
    let messaging: MessagingHub
    let messages: Messages
    let body: JSONBody
    let dashboard: Dashboard

    public init(runtime: JobRuntime, configuration: FrontConfiguration, verifier: TokenVerifier, metrics: FrontMetrics,
                llm: LLMService, messaging: MessagingHub) {
        self.runtime = runtime
        self.configuration = configuration
        self.verifier = verifier
        self.metrics = metrics
        self.llm = llm
        batches = InferenceBatches(runtime: runtime)
        self.messaging = messaging
        messages = Messages(hub: messaging, database: runtime.database, wallets: runtime.wallets)
        body = JSONBody(limits: configuration.limits, clock: runtime.clock)
        dashboard = Dashboard(runtime: runtime, llm: llm, messaging: messaging, messages: messages, batches: batches, metrics: metrics,
                              configuration: configuration)
    }

    /// The router with every route and the middleware chain of API.md:
    /// request id → tracing span → metrics → error envelope → request limits → (open routes) |
    /// internal key → (internal routes) | JWT → tenant check → rate limit → error envelope →
    /// idempotency on creating POSTs → (tenant routes).
    public func router() -> Router<AppRequestContext> {
        buildRouter().router
    }

    /// Every route as "METHOD path" (the OpenAPI document must describe each).
    public var routes: [String] { buildRouter().table.routes }

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

        addOpenRoutes(router.group(), &table)
        // HTML pages with their own sign-in (a session cookie), outside the API's route table and OpenAPI document.
        dashboard.addRoutes(to: router)

        let internalRoutes = router.group().add(middleware: InternalKeyMiddleware(key: configuration.internalAPIKey))
        addInternalRoutes(internalRoutes, &table)

        let tenantRoutes = router.group()
            .add(middleware: JWTAuthMiddleware(verifier: verifier))
            .add(middleware: TenantCheckMiddleware())
            .add(middleware: TenantRateLimitMiddleware(plans: configuration.plans, clock: runtime.clock))
            .add(middleware: ErrorEnvelopeMiddleware())
        addTenantRoutes(tenantRoutes, &table)

        table.addMethodNotAllowed(to: router)
        return (router, table)
    }

    private func addOpenRoutes(_ group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        addDeliveryWebhookRoutes(group, &table)  // authenticated by the provider's signature
        addSendGridEventRoutes(group, &table)
        table.get(Self.llmPrefix + "/health", on: group) { _, context in try await health(context) }
        table.get(Self.cpaasPrefix + "/_internal/healthz", on: group) { _, context in try await health(context) }
        if configuration.metricsEnabled {
            table.get("/metrics", on: group) { _, _ in
                let text = try await metrics.scrape(runtime)
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
            }
        }
        table.get("/openapi.json", on: group) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }

    private func addInternalRoutes(_ group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        let idempotent = group.group().add(middleware: IdempotencyMiddleware(store: runtime.idempotency, body: body))
        table.post(Self.llmPrefix + "/_internal/wallets/credit", on: idempotent) { request, context in
            try await credit(request, context)
        }
        addScheduleRoutes(group, &table)
        addMessagingInternalRoutes(group, &table)
    }

    private func addTenantRoutes(_ group: RouterGroup<AppRequestContext>, _ table: inout RouteTable) {
        addJobRoutes(group, &table)
        addWalletRoutes(group, &table)
        addInferenceRoutes(group, &table)
        addBatchRoutes(group, &table)
        addMessagingRoutes(group, &table)
        addSuppressionRoutes(group, &table)
        addWebhookEndpointRoutes(group, &table)
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
            services: services + [DashboardSampler(activity: metrics.activity, database: runtime.database, clock: runtime.clock)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
