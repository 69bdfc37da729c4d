import Foundation
import Hummingbird
import HTTPTypes

/// Twilio's Content API `GET /v1/ContentAndApprovals?PageSize=…&PageToken=…` over the seeded
/// templates of `TwilioCatalog`, with an absolute `meta.next_page_url` while more remain.
extension MockProvider {
    private struct ContentPage: Encodable {
        struct Meta: Encodable {
            var page: Int
            var page_size: Int
            var key = "contents"
            var next_page_url: String?
        }

        var contents: [TwilioCatalog.Content]
        var meta: Meta
    }

    func twilioTemplates(_ request: Request) async throws -> Response {
        guard twilioAccount(request) != nil else { return Self.twilioError(401, code: 20003, "Authenticate") }
        let query = request.uri.queryParameters
        let size = query.get("PageSize").flatMap { Int($0) } ?? 50
        guard (1...500).contains(size) else { return Self.twilioError(400, code: 20001, "PageSize must be 1...500") }
        var offset = 0
        if let token = query.get("PageToken") {
            guard token.hasPrefix("PT"), let decoded = Int(token.dropFirst(2), radix: 16), decoded >= 0 else {
                return Self.twilioError(400, code: 20001, "Invalid PageToken")
            }
            offset = decoded
        }
        switch try await latencyAndFault() {
        case .rateLimited: return Self.twilioError(429, code: 20429, "Too Many Requests", headers: ["Retry-After": "1"])
        case .unavailable: return Self.twilioError(503, code: 20503, "Service Unavailable")
        case nil: break
        }
        let total = max(0, configuration.messaging.twilioTemplates)
        offset = min(offset, total)  // a token past the end (even Int.max) reads an empty page
        let end = min(total, offset + size)
        let next = end < total ? (Self.origin(of: request) ?? "")
            + "/v1/ContentAndApprovals?PageSize=\(size)&Page=\(end / size)&PageToken=PT\(String(end, radix: 16))" : nil
        let page = ContentPage(contents: (min(offset, end)..<end).map(TwilioCatalog.content),
                               meta: .init(page: offset / size, page_size: size, next_page_url: next))
        return Self.json(.ok, page)
    }
}

/// The seeded Content API templates, by index `i` from 0: sid `HX` + 32 hex digits of `i + 1`;
/// language `en`, `pt_BR`, `es` in turn; `i % 4` = 0 WhatsApp-approved (`UTILITY`), 1 submitted
/// (`received`, `MARKETING`), 2 rejected (`MARKETING`, a `twilio/quick-reply` only), 3 SMS
/// only (approval status `unsubmitted`, as Twilio reports content never submitted); variables
/// `1`…`11` when `i % 5 == 4`, else `1` and `2`.
enum TwilioCatalog {
    struct Content: Encodable {
        struct ContentType: Encodable {
            struct Action: Encodable {
                var title: String
                var id: String
            }

            var body: String
            var actions: [Action]?
        }

        struct Approval: Encodable {
            var name: String
            var category: String
            var content_type: String
            var status: String
            var rejection_reason: String
        }

        var sid: String
        var friendly_name: String
        var language: String
        var variables: [String: String]
        var types: [String: ContentType]
        var approval_requests: Approval?
    }

    static func sid(_ index: Int) -> String { "HX" + MockProvider.hex32(index + 1) }

    static func contains(_ sid: String, count: Int) -> Bool {
        guard sid.hasPrefix("HX"), sid.count == 34, let number = Int(sid.dropFirst(2), radix: 16) else { return false }
        return (1...max(count, 1)).contains(number) && count > 0
    }

    static func content(_ index: Int) -> Content {
        let many = index % 5 == 4
        let variables = many ? Dictionary(uniqueKeysWithValues: (1...11).map { ("\($0)", "value \($0)") }) : ["1": "name", "2": "code"]
        let body = many ? (1...11).map { "{{\($0)}}" }.joined(separator: " ") : "Hi {{1}}, your code is {{2}}"
        let name = "template_\(index)"
        let text = ["twilio/text": Content.ContentType(body: body)]
        let (types, approval): ([String: Content.ContentType], Content.Approval?) = switch index % 4 {
        case 0: (text, .init(name: name, category: "UTILITY", content_type: "twilio/text", status: "approved", rejection_reason: ""))
        case 1: (text, .init(name: name, category: "MARKETING", content_type: "twilio/text", status: "received", rejection_reason: ""))
        case 2: (["twilio/quick-reply": .init(body: body, actions: [.init(title: "Yes", id: "yes"), .init(title: "No", id: "no")])],
                 .init(name: name, category: "MARKETING", content_type: "twilio/quick-reply", status: "rejected",
                       rejection_reason: "promotional content"))
        default: (text, .init(name: "", category: "", content_type: "", status: "unsubmitted", rejection_reason: ""))
        }
        return Content(sid: sid(index), friendly_name: name, language: ["en", "pt_BR", "es"][index % 3], variables: variables,
                       types: types, approval_requests: approval)
    }
}
