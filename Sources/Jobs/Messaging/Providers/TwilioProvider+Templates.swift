import AsyncHTTPClient
import Foundation

/// Template listing from Twilio's Content API: `GET {contentBaseURL}/v1/ContentAndApprovals?PageSize=…`,
/// page after page by following `meta.next_page_url`.
extension TwilioProvider {
    private struct ContentList: Decodable {
        struct Meta: Decodable { var next_page_url: String? }
        var contents: [Content]
        var meta: Meta?
    }

    private struct Content: Decodable {
        struct Approval: Decodable {
            var status: String?
            var category: String?
        }

        struct ContentType: Decodable { var body: String? }
        var sid: String
        var friendly_name: String?
        var language: String?
        /// Variable names (`"1"`, `"2"`, …) and sample values; only the names matter here.
        var variables: [String: Ignored]?
        var types: [String: ContentType]?
        var approval_requests: Approval?
    }

    /// Any JSON value, skipped.
    private struct Ignored: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    /// One page: `page` nil is the first; otherwise the previous page's `next` (the absolute
    /// `meta.next_page_url`, or a path).
    public func templates(page: String?) async throws(MessagingError) -> TemplatePage {
        var call = HTTPClientRequest(url: try templatesURL(page))
        call.method = .GET
        call.headers.add(name: "Authorization", value: authorization)
        call.headers.add(name: "Accept", value: "application/json")
        let answer = try await transport.exchange(call)
        guard answer.isSuccess else { throw Self.failure(answer, provider: id, now: clock.now()) }
        guard let list = try? JSONDecoder().decode(ContentList.self, from: answer.data) else {
            throw MessagingError(.transient, "\(id) answered \(answer.status.code) with a body that is not a content list")
        }
        let next = list.meta?.next_page_url.flatMap { $0.isEmpty ? nil : $0 }
        return TemplatePage(templates: list.contents.map(Self.template), next: next)
    }

    /// Where a page is. A cursor on `contentBaseURL` is followed as is; any other absolute URL
    /// only for its path and query, on `contentBaseURL`: the credentials never go to another host.
    func templatesURL(_ page: String?) throws(MessagingError) -> String {
        guard let page else { return "\(contentBaseURL)/v1/ContentAndApprovals?PageSize=\(templatePageSize)" }
        if page.hasPrefix(contentBaseURL + "/") { return page }
        if page.hasPrefix("/") { return contentBaseURL + page }
        guard let components = URLComponents(string: page), components.host != nil, components.percentEncodedPath.hasPrefix("/") else {
            throw MessagingError(.permanent, "\(id): the template cursor is neither a URL nor a path: \(page)")
        }
        return contentBaseURL + components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    /// A content as a template: WhatsApp when it was submitted for WhatsApp approval (an
    /// approval status other than `unsubmitted`, which Twilio reports for every content never
    /// submitted) or has a `whatsapp/…` type, else SMS; approval lower-cased (`received` reads
    /// as `pending`), `unsubmitted` when there is none; variables in numeric order; the body of
    /// `twilio/text`, else of the first type (by name) that has one.
    private static func template(_ content: Content) -> ProviderTemplate {
        let types = content.types ?? [:]
        let approvalStatus = content.approval_requests?.status
            .flatMap { $0.isEmpty || $0.lowercased() == "unsubmitted" ? nil : $0.lowercased() }
        let whatsApp = approvalStatus != nil || types.keys.contains { $0.hasPrefix("whatsapp/") }
        let body = types["twilio/text"]?.body ?? types.keys.sorted().lazy.compactMap { types[$0]?.body }.first
        return ProviderTemplate(
            providerTemplateID: content.sid, name: content.friendly_name ?? content.sid, language: content.language ?? "en",
            channel: whatsApp ? .whatsapp : .sms,
            category: whatsApp ? content.approval_requests?.category.flatMap { $0.isEmpty ? nil : $0.lowercased() } : nil,
            approval: approvalStatus.map { $0 == "received" ? "pending" : $0 } ?? "unsubmitted",
            variables: numericOrder(Array((content.variables ?? [:]).keys)), body: body)
    }

    /// `1, 2, …, 10, 11` rather than `1, 10, 11, 2`; names that are not numbers after, in text order.
    static func numericOrder(_ names: [String]) -> [String] {
        names.sorted { left, right in
            switch (Int(left), Int(right)) {
            case let (l?, r?): l < r
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): left < right
            }
        }
    }
}
