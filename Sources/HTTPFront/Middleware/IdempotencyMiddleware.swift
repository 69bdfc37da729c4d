import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Runtime
import Synchronization

/// `Idempotency-Key` on the POSTs that create or charge (API.md): the first request with a key
/// runs and its 2xx answer is stored for 24 h; the same key and body again replays it with
/// `Idempotency-Replayed: true` and runs nothing; another body is 422 `idempotency_mismatch`;
/// a key whose first request is still running is 409 `idempotency_conflict`. An answer that is
/// not 2xx is not stored (the request changed nothing), so the client may fix it and retry.
///
/// Keys are per caller: a tenant's users never share a key (`IdempotencyScope`), and internal
/// routes share the scope `_internal`. The fingerprint covers the method, the path, the body and
/// the headers that change what a request does (`IdempotencyScope.fingerprintHeaders`). The in-flight mark lasts
/// `lease`, which must outlast the longest the route can run, so a retry while the first runs
/// is a 409 and never a second execution.
struct IdempotencyMiddleware<Context: APIRequestContext>: RouterMiddleware {
    let store: IdempotencyStore
    let body: JSONBody
    /// How long the in-flight mark holds the key; nil takes the store's configured lease.
    var lease: Duration? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let clientKey = request.headers[.idempotencyKey] else { return try await next(request, context) }
        guard !clientKey.isEmpty, clientKey.utf8.count <= IdempotencyScope.maxKeyLength, clientKey.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw APIError.invalid("Idempotency-Key", "Idempotency-Key must be 1 to \(IdempotencyScope.maxKeyLength) printable ASCII characters")
        }
        let scope = IdempotencyScope(principal: context.authenticated, key: clientKey)
        let tenant = scope.tenant, key = scope.key
        var request = request
        let bytes = try await body.bytes(request)
        request.body = RequestBody(buffer: bytes)
        let fingerprint = try IdempotencyScope.fingerprint(request, body: bytes)

        switch try await store.begin(tenant: tenant, key: key, fingerprint: fingerprint, lease: lease) {
        case .replay(let stored):
            var response = Response(status: .init(code: stored.status),
                                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: stored.body)))
            for (name, value) in stored.headers { if let name = HTTPField.Name(name) { response.headers[name] = value } }
            response.headers[.idempotencyReplayed] = "true"
            return response
        case .conflict:
            throw APIError.conflict("idempotency_conflict", "a request with this Idempotency-Key is still in progress; retry later")
        case .mismatch:
            throw APIError(.unprocessableContent, "idempotency_mismatch",
                           "this Idempotency-Key was used with a different request; use a new key for a new request")
        case .proceed:
            let response: Response
            do {
                response = try await next(request, context)
            } catch {
                _ = try? await store.abandon(tenant: tenant, key: key, fingerprint: fingerprint)
                throw error
            }
            guard (200..<300).contains(response.status.code) else {
                _ = try? await store.abandon(tenant: tenant, key: key, fingerprint: fingerprint)
                return response
            }
            if response.headers[.contentType]?.hasPrefix("text/event-stream") == true {
                return recordWhileStreaming(response, tenant: tenant, key: key, fingerprint: fingerprint, context: context)
            }
            return await record(response, tenant: tenant, key: key, fingerprint: fingerprint, context: context)
        }
    }

    /// Stores a 2xx answer and returns it (its body read into memory once).
    private func record(_ response: Response, tenant: String, key: String, fingerprint: RequestFingerprint,
                        context: Context) async -> Response {
        var response = response
        let collector = BodyCollector()
        do { try await response.body.write(collector) } catch {
            _ = try? await store.abandon(tenant: tenant, key: key, fingerprint: fingerprint)
            return EnvelopeResponse.failure(.internalError(), context: context)
        }
        let bytes = collector.buffer.withLock { $0 }
        var headers: [(name: String, value: String)] = []
        if let type = response.headers[.contentType] { headers.append(("Content-Type", type)) }
        do {
            try await store.complete(tenant: tenant, key: key,
                                     response: StoredResponse(status: response.status.code, headers: headers, body: Data(buffer: bytes)),
                                     fingerprint: fingerprint)
        } catch {
            // The work is done and answered; a retry after the lease ends will run again, which the
            // operations themselves dedupe (e.g. a credit's reference is the key).
            context.logger.error("could not store an idempotent response", metadata: ["error": "\(error)"])
        }
        response.body = ResponseBody(byteBuffer: bytes)
        return response
    }

    /// An event stream goes to the client as it is written, and a copy is stored when it ends;
    /// if the client goes away first the key is abandoned (a retry runs again).
    private func recordWhileStreaming(_ response: Response, tenant: String, key: String, fingerprint: RequestFingerprint,
                                      context: Context) -> Response {
        var response = response
        let original = response.body
        let store = self.store, status = response.status.code, type = response.headers[.contentType]
        response.body = ResponseBody { writer in
            let copy = BodyCollector()
            do {
                try await original.write(TeeWriter(client: writer, copy: copy))
            } catch {
                _ = try? await store.abandon(tenant: tenant, key: key, fingerprint: fingerprint)
                throw error
            }
            let bytes = copy.buffer.withLock { $0 }
            do {
                try await store.complete(tenant: tenant, key: key,
                                         response: StoredResponse(status: status, headers: type.map { [("Content-Type", $0)] } ?? [],
                                                                  body: Data(buffer: bytes)), fingerprint: fingerprint)
            } catch {
                context.logger.error("could not store an idempotent event stream", metadata: ["error": "\(error)"])
            }
        }
        return response
    }
}

/// Writes to the client and keeps a copy.
private struct TeeWriter: ResponseBodyWriter {
    var client: any ResponseBodyWriter
    let copy: BodyCollector

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await copy.write(buffer)
        try await client.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await client.finish(trailingHeaders)
    }
}

/// Collects a response body written through `ResponseBodyWriter`.
private final class BodyCollector: ResponseBodyWriter, Sendable {
    let buffer = Mutex(ByteBuffer())

    func write(_ buffer: ByteBuffer) async throws {
        var incoming = buffer
        self.buffer.withLock { _ = $0.writeBuffer(&incoming) }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
