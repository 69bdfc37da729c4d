import AsyncHTTPClient
import Foundation
@testable import Jobs
import MockProvider
import NIOCore
import Testing

/// Test helpers for the messaging adapters: what the mock delivered, read over HTTP as a load
/// test would, and every page of a provider's templates.
enum MockMessages {
    /// `GET /_mock/messages`.
    static func fetch(_ baseURL: String) async throws -> MockProvider.MessagesReport {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/_mock/messages"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 16 << 20)
        return try JSONDecoder().decode(MockProvider.MessagesReport.self, from: Data(body.readableBytesView))
    }

    /// Every template, following the cursors; and how many pages it took.
    static func allTemplates(_ provider: some MessagingProvider) async throws -> (templates: [ProviderTemplate], pages: Int) {
        var templates: [ProviderTemplate] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await provider.templates(page: cursor)
            templates += page.templates
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 100
        return (templates, pages)
    }

    /// The error `body` throws, or nil when it succeeds.
    static func failure(_ body: () async throws -> SendReceipt) async -> MessagingError? {
        do {
            _ = try await body()
            return nil
        } catch let error as MessagingError {
            return error
        } catch {
            Issue.record("not a MessagingError: \(error)")
            return nil
        }
    }
}
