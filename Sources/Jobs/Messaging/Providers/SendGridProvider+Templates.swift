import AsyncHTTPClient
import Foundation

/// Template listing from SendGrid: `GET {baseURL}/v3/templates?generations=dynamic&page_size=…[&page_token=…]`;
/// the cursor is the `page_token` of `_metadata.next`.
extension SendGridProvider {
    private struct TemplateList: Decodable {
        struct Metadata: Decodable { var next: String? }
        var result: [Template]
        var _metadata: Metadata?
    }

    private struct Template: Decodable {
        var id: String
        var name: String?
        var versions: [Version]?
    }

    private struct Version: Decodable {
        var active: Bool
        var subject: String?
        var html_content: String?
        var plain_content: String?
        var locale: String?

        enum CodingKeys: String, CodingKey { case active, subject, html_content, plain_content, locale }

        /// `active` is 1/0 in SendGrid's answers; a boolean is read too.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let flag = try? container.decodeIfPresent(Int.self, forKey: .active) {
                active = flag != 0
            } else {
                active = (try? container.decodeIfPresent(Bool.self, forKey: .active)) ?? false
            }
            subject = try container.decodeIfPresent(String.self, forKey: .subject)
            html_content = try container.decodeIfPresent(String.self, forKey: .html_content)
            plain_content = try container.decodeIfPresent(String.self, forKey: .plain_content)
            locale = try container.decodeIfPresent(String.self, forKey: .locale)
        }
    }

    /// One page: `page` nil is the first; otherwise the previous page's `next` (a `page_token`).
    public func templates(page: String?) async throws(MessagingError) -> TemplatePage {
        var url = "\(baseURL)/v3/templates?generations=dynamic&page_size=\(templatePageSize)"
        if let page { url += "&page_token=\(FormEncoding.percentEncode(page))" }
        var call = HTTPClientRequest(url: url)
        call.method = .GET
        call.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        call.headers.add(name: "Accept", value: "application/json")
        let answer = try await transport.exchange(call)
        observeLimits(answer)
        guard answer.isSuccess else { throw failure(answer) }
        guard let list = try? JSONDecoder().decode(TemplateList.self, from: answer.data) else {
            throw MessagingError(.transient, "\(id) answered \(answer.status.code) with a body that is not a template list")
        }
        let next = list._metadata?.next
            .flatMap { URLComponents(string: $0)?.queryItems?.first { $0.name == "page_token" }?.value }
            .flatMap { $0.isEmpty ? nil : $0 }
        return TemplatePage(templates: list.result.map(Self.template), next: next)
    }

    /// A dynamic template: approved when it has an active version, else unsubmitted; the
    /// language of a version's `locale`, else `en`; the variables and plain body of the active version.
    private static func template(_ template: Template) -> ProviderTemplate {
        let versions = template.versions ?? []
        let active = versions.first { $0.active }
        let language = (active?.locale ?? versions.lazy.compactMap(\.locale).first).flatMap { $0.isEmpty ? nil : $0 } ?? "en"
        let texts = [active?.subject, active?.plain_content, active?.html_content].compactMap { $0 }
        return ProviderTemplate(providerTemplateID: template.id, name: template.name ?? template.id, language: language,
                                channel: .email, category: nil, approval: active == nil ? "unsubmitted" : "approved",
                                variables: TemplatePlaceholders.names(in: texts), body: active?.plain_content)
    }
}
