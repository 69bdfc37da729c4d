import Foundation
import Hummingbird
import Jobs
import Runtime

/// Messages of every tenant, newest first (filter by tenant and status), and one message with
/// its delivery timeline (every status it went through, with the provider's detail).
extension Dashboard {
    func messagesPage(_ request: Request, _ session: DashboardSessions.Session) async throws -> Response {
        let tenant = Self.filter(request, "tenant")
        let status = Self.filter(request, "status").flatMap(MessageStatus.init(rawValue:))
        let limit = Self.limit(request)
        let rows = try await queries.messages(tenant: tenant, status: status?.rawValue, before: Self.before(request), limit: limit + 1)
        let shown = rows.prefix(limit)
        let messages: [[String: Any]] = shown.map { row in
            ["id": row.id, "tenant": row.tenant, "channel": row.channel, "to": row.recipient, "provider": row.provider,
             "status": row.status, "body": String((row.body ?? "").prefix(120)), "created": DashboardFormat.time(row.createdAt),
             "link": Self.base + "/messages/" + Self.queryEscaped(row.id) + "?tenant=" + Self.queryEscaped(row.tenant)]
        }
        let statuses = MessageStatus.allCases.map { ["name": $0.rawValue, "selected": $0 == status] as [String: Any] }
        var values: [String: Any] = ["messages": messages, "empty": messages.isEmpty, "tenant": tenant ?? "", "statuses": statuses]
        if rows.count > limit, let last = shown.last {
            var next = Self.base + "/messages?before=\(last.sequence)"
            if let tenant { next += "&tenant=" + Self.queryEscaped(tenant) }
            if let status { next += "&status=" + status.rawValue }
            values["next"] = next
        }
        return render("messages", title: "Messages", section: "Messages", session: session, values)
    }

    func messagePage(_ id: String, tenant: String?, _ session: DashboardSessions.Session) async throws -> Response {
        guard let tenant, let message = try await messages.message(id, tenant: tenant) else {
            return render("message", title: "Message", section: "Messages", session: session, ["missing": true], status: .notFound)
        }
        let events: [[String: Any]] = message.events.map { event in
            var values: [String: Any] = ["status": event.status.rawValue, "at": DashboardFormat.time(event.at)]
            if let detail = event.detail { values["detail"] = detail }
            return values
        }
        var values: [String: Any] = [
            "id": message.id, "tenant": message.tenant, "channel": message.channel.rawValue, "to": message.to, "from": message.from,
            "provider": message.provider, "status": message.status.rawValue, "body": message.body ?? "", "segments": message.segments,
            "price": DashboardFormat.usd(message.priceMicroUSD), "attempts": message.attempts, "events": events,
            "created": DashboardFormat.time(message.createdAt),
        ]
        if let code = message.errorCode { values["error"] = code + (message.errorMessage.map { ": " + $0 } ?? "") }
        if let providerID = message.providerMessageID { values["providerID"] = providerID }
        return render("message", title: "Message \(message.id)", section: "Messages", session: session, ["message": values])
    }
}
