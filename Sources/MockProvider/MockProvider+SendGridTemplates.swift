import Foundation
import Hummingbird
import HTTPTypes

/// SendGrid's `GET /v3/templates?generations=dynamic&page_size=…[&page_token=…]` over the seeded
/// templates of `SendGridCatalog`; `_metadata.next` carries the next page's `page_token`.
extension MockProvider {
    private struct TemplatePage: Encodable {
        struct Metadata: Encodable {
            var `self`: String
            var next: String?
            var count: Int
        }

        var result: [SendGridCatalog.Template]
        var _metadata: Metadata
    }

    func sendGridTemplates(_ request: Request) async throws -> Response {
        let (limits, allowed) = sendGridWindow()
        guard sendGridAuthorized(request) else {
            return Self.sendGridError(401, "The provided authorization grant is invalid, expired, or revoked", headers: limits)
        }
        guard allowed else { return Self.sendGridError(429, "too many requests", headers: limits) }
        let query = request.uri.queryParameters
        guard let size = query.get("page_size").flatMap({ Int($0) }), (1...200).contains(size) else {
            return Self.sendGridError(400, "page_size should be used and be between 1 and 200", field: "page_size", headers: limits)
        }
        var offset = 0
        if let token = query.get("page_token") {
            guard token.hasPrefix("pt"), let decoded = Int(token.dropFirst(2), radix: 16), decoded >= 0 else {
                return Self.sendGridError(400, "invalid page_token", field: "page_token", headers: limits)
            }
            offset = decoded
        }
        switch try await latencyAndFault() {
        case .rateLimited: return Self.sendGridError(429, "too many requests", headers: limits.merging(["Retry-After": "1"]) { $1 })
        case .unavailable: return Self.sendGridError(503, "service unavailable", headers: limits)
        case nil: break
        }
        // Only dynamic templates are seeded; a listing of legacy ones is empty.
        let total = query.get("generations")?.split(separator: ",").contains("dynamic") == true ? max(0, configuration.messaging.sendGridTemplates) : 0
        offset = min(offset, total)  // a token past the end (even Int.max) reads an empty page
        let end = min(total, offset + size)
        let base = (Self.origin(of: request) ?? "") + "/v3/templates?generations=dynamic&page_size=\(size)"
        let page = TemplatePage(result: (min(offset, end)..<end).map(SendGridCatalog.template), _metadata: .init(
            self: base + (offset > 0 ? "&page_token=pt\(String(offset, radix: 16))" : ""),
            next: end < total ? base + "&page_token=pt\(String(end, radix: 16))" : nil, count: total))
        return Self.json(.ok, page, headers: limits)
    }
}

/// The seeded dynamic templates, by index `i` from 0: id `d-` + 32 hex digits of `i + 1`. Every
/// fourth (`i % 4 == 3`) has only an inactive draft; the others an inactive old version (with a
/// `{{legacy_code}}` variable) and an active one whose subject and contents use `first_name`,
/// `order_id`, `ship_date` (triple braces), `coupon` (inside an `{{#if}}` block) and
/// `order_link` (HTML only). `i % 5 == 0` has the `de` locale.
enum SendGridCatalog {
    struct Template: Encodable {
        var id: String
        var name: String
        var generation = "dynamic"
        var updated_at = "2026-01-01 00:00:00"
        var versions: [Version]
    }

    struct Version: Encodable {
        var id: String
        var template_id: String
        var active: Int
        var name: String
        var subject: String
        var html_content: String?
        var plain_content: String?
        var locale: String?
    }

    static func id(_ index: Int) -> String { "d-" + MockProvider.hex32(index + 1) }

    static func template(_ index: Int) -> Template {
        let id = id(index)
        let locale = index % 5 == 0 ? "de" : nil
        let draft = Version(id: "v\(index)-old", template_id: id, active: 0, name: "draft", subject: "Your code {{legacy_code}}",
                            html_content: nil, plain_content: "Code: {{legacy_code}}", locale: locale)
        let active = Version(id: "v\(index)-active", template_id: id, active: 1, name: "live", subject: "Hello {{first_name}}",
                             html_content: "<p>Track it: <a href=\"{{{order_link}}}\">here</a></p>",
                             plain_content: "Hi {{ first_name }}, order {{order_id}} ships {{{ship_date}}}. {{#if coupon}}Use {{coupon}}.{{/if}}",
                             locale: locale)
        return Template(id: id, name: "email_template_\(index)", versions: index % 4 == 3 ? [draft] : [draft, active])
    }
}
