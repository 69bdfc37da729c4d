import Foundation
import HTTPTypes
@testable import HTTPFront
import HummingbirdTesting
import OpenAPIKit
import Testing

/// The served document read as an OpenAPI model (OpenAPIKit), held to Hummingbird's own route
/// table in both directions, and its error answers checked against the schemas it documents.
@Suite("OpenAPI document against the router")
struct OpenAPIRouteTableTests {
    static func document() throws -> ResolvedDocument {
        let data = Data(buffer: OpenAPIDocument.bytes)
        return try JSONDecoder().decode(OpenAPI.Document.self, from: data).locallyDereferenced().resolved()
    }

    @Test("the document is valid OpenAPI 3.1 and names exactly the operations the router serves")
    func bothWays() async throws {
        let raw = try JSONDecoder().decode(OpenAPI.Document.self, from: Data(buffer: OpenAPIDocument.bytes))
        #expect(raw.openAPIVersion == .v3_1_0)
        _ = try raw.validate()
        let documented = Set(try Self.document().endpoints.map { "\($0.method.rawValue.uppercased()) \($0.path.rawValue)" })

        let harness = try await Harness.make()
        let fillers = harness.front.methodNotAllowedRoutes
        let served = Set(harness.front.router().routes
            .filter { ![.head, .options].contains($0.method) && !$0.path.description.hasPrefix("/dashboard") }
            .map { "\($0.method.rawValue) \($0.path.description)" })
            .subtracting(fillers)
        #expect(served.count >= 30)
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }

    @Test("every secured operation answers 401 without credentials, every {id} route 404 for an unknown id, unsigned provider webhooks 403: each documented, each matching its schema")
    func errorAnswers() async throws {
        struct Probe: Sendable { var method: HTTPRequest.Method, template: String, secured: Bool, bearer: Bool }
        struct Answer: Sendable { var name: String, method: String, template: String, status: Int, body: Data }
        let probes = try Self.document().endpoints.map { endpoint in
            Probe(method: HTTPRequest.Method(endpoint.method.rawValue.uppercased())!, template: endpoint.path.rawValue,
                  secured: !endpoint.security.isEmpty, bearer: endpoint.security.contains { $0.schemes.keys.contains("bearerAuth") })
        }
        let harness = try await Harness.make()
        let token = try await harness.token()
        let answers: [Answer] = try await harness.test { client in
            var answers: [Answer] = []
            for probe in probes {
                let uri = probe.template.replacingOccurrences(of: #"\{[^}]+\}"#, with: "unknown1", options: .regularExpression)
                let body = [.post, .put].contains(probe.method) ? "{}" : nil
                var sent: [(String, TestResponse)] = []
                if !probe.secured {
                    if probe.template.contains("/webhooks/twilio/") {
                        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
                        sent.append(("unsigned", try await client.send(probe.method, uri, json: "MessageSid=SM1", headers: form)))
                    } else if probe.template.contains("/webhooks/") {
                        sent.append(("unsigned", try await client.send(probe.method, uri, json: "[]")))
                    }
                } else {
                    sent.append(("no credentials", try await client.send(probe.method, uri, json: body)))
                    if probe.template.contains("{id}"), probe.bearer {
                        sent.append(("unknown id", try await client.send(probe.method, uri, token: token, json: body)))
                    }
                }
                for (why, response) in sent {
                    answers.append(Answer(name: "\(probe.method.rawValue) \(probe.template) (\(why)) → \(response.status.code)",
                                          method: probe.method.rawValue, template: probe.template, status: Int(response.status.code),
                                          body: Data(buffer: response.body)))
                }
            }
            return answers
        }
        let checker = try SchemaChecker(json: String(buffer: OpenAPIDocument.bytes))
        for answer in answers {
            #expect([401, 403, 404].contains(answer.status), "\(answer.name)")
            guard let schema = checker.responseSchema(method: answer.method, path: answer.template, status: answer.status) else {
                Issue.record("\(answer.name) is not documented")
                continue
            }
            let problems = checker.problems(try JSONSerialization.jsonObject(with: answer.body), schema)
            #expect(problems.isEmpty, "\(answer.name): \(problems.joined(separator: "; "))")
        }
        #expect(answers.count >= 35)
    }
}
