import Foundation
import Hummingbird
import Runtime
import Jobs

/// A tenant's own webhooks: `GET /cpaas/v1/webhook-endpoints` (paged, no secrets),
/// `POST /cpaas/v1/webhook-endpoints` (201 with the signing secret, shown this once; an
/// Idempotency-Key makes one endpoint), `DELETE /cpaas/v1/webhook-endpoints/{id}`, and
/// `GET /cpaas/v1/webhook-endpoints/{id}/deliveries` (the delivery log: attempts, status codes,
/// next retry). Another tenant's endpoint is 404.
struct WebhookEndpointsController: Sendable {
    let runtime: JobRuntime
    let endpoints: WebhookEndpoints
    let body: JSONBody

    struct WebhookEndpointRequest: ClosedJSONBody {
        var url: String
        var events: [String]
        var description: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case url, events, description }
        static let schema = BodySchema(fields: ["": .init(CodingKeys.self, nullable: ["description"])])
    }

    struct WebhookEndpointView: Encodable {
        var id: String
        var url: String
        var events: [String]
        @Nullable var description: String?
        var createdAt: String
        /// Only in the answer to the POST that made it.
        var secret: String?

        init(_ endpoint: WebhookEndpoint, secret: String? = nil) {
            id = endpoint.id
            url = endpoint.url
            events = endpoint.events
            description = endpoint.description
            createdAt = Self.time(endpoint.createdAt)
            self.secret = secret
        }

        static func time(_ date: Date) -> String { date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)) }
    }

    struct WebhookDeliveryView: Encodable {
        struct Attempt: Encodable {
            var at: String
            @Nullable var statusCode: Int?
            @Nullable var error: String?
            var durationMs: Int64
        }

        var id: String
        var eventId: String
        var eventType: String
        var state: String
        var attempts: Int
        @Nullable var lastStatusCode: Int?
        @Nullable var lastError: String?
        @Nullable var nextAttemptAt: String?
        var createdAt: String
        @Nullable var finishedAt: String?
        var log: [Attempt]

        init(_ delivery: WebhookDelivery) {
            let time = WebhookEndpointView.time
            id = String(delivery.id)
            eventId = delivery.eventID
            eventType = delivery.eventType
            state = delivery.state.rawValue
            attempts = delivery.attempts
            lastStatusCode = delivery.lastStatusCode
            lastError = delivery.lastError
            nextAttemptAt = delivery.nextAttemptAt.map(time)
            createdAt = time(delivery.createdAt)
            finishedAt = delivery.finishedAt.map(time)
            log = delivery.log.map { Attempt(at: time($0.at), statusCode: $0.statusCode, error: $0.error, durationMs: $0.durationMilliseconds) }
        }
    }

    func addRoutes(to group: RouterGroup<TenantRequestContext>, _ table: inout RouteTable) {
        let idempotent = group.group().add(middleware: IdempotencyMiddleware(store: runtime.idempotency, body: body))
        let path = HTTPFront.cpaasPrefix + "/webhook-endpoints"
        table.get(path, on: group) { request, context in
            let caller = context.principal
            let paging = try Paging(request, list: "webhook-endpoints")
            let rows = try await endpoints.list(tenant: caller.tenant, before: paging.before, limit: paging.limit + 1)
            return try EnvelopeResponse.list(paging.page(rows, list: "webhook-endpoints", id: \.sequence, show: { WebhookEndpointView($0) }),
                                             context: context)
        }
        table.post(path, on: idempotent) { request, context in
            let caller = context.principal
            let input = try await body.decode(WebhookEndpointRequest.self, from: request)
            do {
                let (endpoint, secret) = try await endpoints.create(tenant: caller.tenant, url: input.url, events: input.events,
                                                                    description: input.description)
                return try EnvelopeResponse.success(WebhookEndpointView(endpoint, secret: secret), status: .created, context: context)
            } catch let refusal as WebhookURLPolicy.Refusal {
                throw APIError(.unprocessableContent, "url_not_allowed", refusal.reason, details: ["field": "url"])
            } catch let error as WebhookEndpoints.Invalid {
                throw APIError.invalid(error.field, error.message)
            } catch let error as WebhookEndpoints.TooMany {
                throw APIError.conflict("too_many_endpoints", "a tenant may have at most \(error.limit) webhook endpoints; delete one first")
            }
        }
        table.delete(path + "/{id}", on: group) { _, context in
            let caller = context.principal
            guard let id = Self.endpointID(context), try await endpoints.delete(id, tenant: caller.tenant) else {
                throw APIError.notFound("no webhook endpoint with this id")
            }
            return try EnvelopeResponse.success(["deleted": true], context: context)
        }
        table.get(path + "/{id}/deliveries", on: group) { request, context in
            let caller = context.principal
            let paging = try Paging(request, list: "deliveries")
            guard let id = Self.endpointID(context),
                  let rows = try await endpoints.deliveries(of: id, tenant: caller.tenant, before: paging.before, limit: paging.limit + 1)
            else { throw APIError.notFound("no webhook endpoint with this id") }
            return try EnvelopeResponse.list(paging.page(rows, list: "deliveries", id: \.id, show: { WebhookDeliveryView($0) }), context: context)
        }
    }

    private static func endpointID(_ context: TenantRequestContext) -> String? {
        guard let id = context.parameters.get("id"), id.hasPrefix("we_"), id.utf8.count <= 64 else { return nil }
        return id
    }
}
