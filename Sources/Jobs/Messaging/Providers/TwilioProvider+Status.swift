import AsyncHTTPClient
import Foundation

extension TwilioProvider {
    private struct MessageResource: Decodable {
        var status: String
        var error_code: Int?
    }

    /// `GET /2010-04-01/Accounts/{sid}/Messages/{MessageSid}.json`: the message's status now.
    public func currentStatus(of providerMessageID: String) async throws(MessagingError) -> ProviderStatusReport? {
        let path = "/2010-04-01/Accounts/\(FormEncoding.percentEncode(accountSID))/Messages/\(FormEncoding.percentEncode(providerMessageID)).json"
        var call = HTTPClientRequest(url: baseURL + path)
        call.headers.add(name: "Authorization", value: authorization)
        call.headers.add(name: "Accept", value: "application/json")
        let answer = try await transport.exchange(call)
        guard answer.isSuccess else { throw Self.failure(answer, provider: id, now: clock.now()) }
        guard let resource = try? JSONDecoder().decode(MessageResource.self, from: answer.data) else {
            throw MessagingError(.transient, "\(id) answered \(answer.status.code) with a body that is not a message")
        }
        return ProviderStatusReport(status: resource.status, errorCode: resource.error_code.map(String.init))
    }
}
