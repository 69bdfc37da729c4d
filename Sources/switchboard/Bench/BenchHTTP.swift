import ArgumentParser
import AsyncHTTPClient
import NIOCore

/// The HTTP calls the benchmarks make: a POST or GET with a bearer token that must answer the
/// expected status (anything else stops the benchmark with the answer).
enum BenchHTTP {
    @discardableResult
    static func post(_ client: HTTPClient, _ url: String, body: String, token: String?,
                     contentType: String = "application/json", headers: [(String, String)] = [], expect status: UInt = 200)
        async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(120))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == status else { throw ValidationError("\(url) answered \(response.status.code): \(String(buffer: answer))") }
        return answer
    }

    static func get(_ client: HTTPClient, _ url: String, token: String) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await client.execute(request, timeout: .seconds(60))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw ValidationError("\(url) answered \(response.status.code)") }
        return answer
    }
}
