import Foundation
import Hummingbird
import Runtime
import Jobs

/// `GET /cpaas/v1/suppressions` (the tenant's opted-out recipients, newest first, paged) and
/// `DELETE /cpaas/v1/suppressions/{channel}/{address}` (take one off: 200 with it gone, 404 if
/// it was not there).
struct SuppressionsController: Sendable {
    let runtime: JobRuntime

    struct SuppressionView: Encodable {
        var channel: String
        var address: String
        var reason: String
        var createdAt: String

        init(_ suppression: Suppression) {
            channel = suppression.channel.rawValue
            address = suppression.address
            reason = suppression.reason
            createdAt = suppression.createdAt.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        }
    }

    func addRoutes(to group: RouterGroup<TenantRequestContext>, _ table: inout RouteTable) {
        let suppressions = Suppressions(backend: runtime.backend)
        table.get(HTTPFront.cpaasPrefix + "/suppressions", on: group) { request, context in
            let caller = context.principal
            let paging = try Paging(request, list: "suppressions")
            let rows = try await suppressions.list(tenant: caller.tenant, before: paging.before, limit: paging.limit + 1)
            return try EnvelopeResponse.list(paging.page(rows, list: "suppressions", id: \.id, show: SuppressionView.init), context: context)
        }
        table.delete(HTTPFront.cpaasPrefix + "/suppressions/{channel}/{address}", on: group) { _, context in
            let caller = context.principal
            guard let name = context.parameters.get("channel"), let channel = Channel(rawValue: name) else {
                throw APIError.invalid("channel", "channel must be sms, email or whatsapp")
            }
            guard let address = context.parameters.get("address")?.removingPercentEncoding, !address.isEmpty, address.utf8.count <= 320,
                  try await suppressions.remove(tenant: caller.tenant, channel: channel, address: address) else {
                throw APIError.notFound("this recipient is not suppressed")
            }
            return try EnvelopeResponse.success(["removed": true], context: context)
        }
    }
}
