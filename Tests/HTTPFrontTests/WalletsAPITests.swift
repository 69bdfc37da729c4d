import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Runtime
import Testing

@Suite("Wallets API")
struct WalletsAPITests {
    @Test("a caller sees the team wallet and their own user wallet, not other users' or tenants'")
    func visibility() async throws {
        let harness = try await Harness.make()
        let alice = try await harness.token(sub: "alice")
        let bob = try await harness.token(sub: "bob")
        try await harness.test { client in
            try await client.credit(tenant: TestKeys.tenant, amount: "10.00")
            try await client.credit(tenant: TestKeys.tenant, wallet: "user:alice", amount: "2.50")
            try await client.credit(tenant: TestKeys.tenant, wallet: "user:bob", amount: "1.25")
            try await client.credit(tenant: TestKeys.otherTenant, amount: "99.00")

            let wallets = try #require(try ParsedEnvelope(try await client.get("/llm-orch/v1/wallets", token: alice)).dataArray)
            #expect(wallets.map { $0["owner"] as? String } == ["team", "user:alice"])
            #expect(wallets.map { $0["balanceUsd"] as? String } == ["10.00", "2.50"])
            #expect(wallets[0]["availableUsd"] as? String == "10.00")
            let bobs = try #require(try ParsedEnvelope(try await client.get("/llm-orch/v1/wallets", token: bob)).dataArray)
            let bobWallet = try #require(bobs.first { $0["owner"] as? String == "user:bob" }?["id"] as? String)
            let otherTenantWallet = try #require(try await harness.runtime.wallets.balance(of: .team(TestKeys.otherTenant))?.id)

            // Alice cannot read Bob's ledger, nor another tenant's: both look like missing wallets.
            for id in [bobWallet, String(otherTenantWallet), "999999", "abc"] {
                let response = try await client.get("/llm-orch/v1/wallets/\(id)/ledger", token: alice)
                #expect(response.status == .notFound, "\(id)")
            }
        }
    }

    @Test("the ledger pages newest first with a cursor, each line once")
    func ledgerPaging() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        try await harness.test { client in
            for index in 1...7 { try await client.credit(tenant: TestKeys.tenant, amount: "\(index).00") }
            let wallet = try #require(try ParsedEnvelope(try await client.get("/llm-orch/v1/wallets", token: token)).dataArray?.first?["id"] as? String)
            var amounts: [String] = []
            var cursor: String?
            repeat {
                let query = cursor.map { "&cursor=\($0)" } ?? ""
                let page = try ParsedEnvelope(try await client.get("/llm-orch/v1/wallets/\(wallet)/ledger?limit=3\(query)", token: token))
                amounts += try #require(page.dataArray).compactMap { $0["amountUsd"] as? String }
                cursor = page.page?["next_cursor"] as? String
            } while cursor != nil
            #expect(amounts == ["7.00", "6.00", "5.00", "4.00", "3.00", "2.00", "1.00"])
            let line = try #require(try ParsedEnvelope(try await client.get("/llm-orch/v1/wallets/\(wallet)/ledger", token: token)).dataArray?.first)
            let createdAt = try #require(line["createdAt"] as? String)
            #expect(try Date(createdAt, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) <= Date())
            #expect(createdAt.hasSuffix("Z"))
            for (query, field) in [("limit=-1", "limit"), ("limit=1000", "limit"), ("cursor=%%%", "cursor"),
                                   ("cursor=\(Paging.encode(1, list: "jobs"))", "cursor")] {
                let response = try await client.get("/llm-orch/v1/wallets/\(wallet)/ledger?\(query)", token: token)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try ParsedEnvelope(response).errorField == field, "\(query)")
            }
        }
    }

    @Test("credit refuses bad amounts, wallets and tenants with 400 naming the field, and changes nothing")
    func creditValidation() async throws {
        let harness = try await Harness.make()
        let cases: [(String, String)] = [
            (#"{"tenantId":"t","wallet":"team","amountUsd":5}"#, "amountUsd"),
            (#"{"tenantId":"t","wallet":"team","amountUsd":"-1.00"}"#, "amountUsd"),
            (#"{"tenantId":"t","wallet":"team","amountUsd":"0"}"#, "amountUsd"),
            (#"{"tenantId":"t","wallet":"team","amountUsd":"0.0000001"}"#, "amountUsd"),
            (#"{"tenantId":"t","wallet":"team","amountUsd":"1e3"}"#, "amountUsd"),
            (#"{"tenantId":"t","wallet":"team","amountUsd":"99999999999"}"#, "amountUsd"),
            (#"{"tenantId":"t","wallet":"bank","amountUsd":"1"}"#, "wallet"),
            (#"{"tenantId":"t","wallet":"user:","amountUsd":"1"}"#, "wallet"),
            (#"{"tenantId":"","wallet":"team","amountUsd":"1"}"#, "tenantId"),
            (#"{"tenantId":"acme ","wallet":"team","amountUsd":"1"}"#, "tenantId"),
            (#"{"tenantId":"ac\u0000me","wallet":"team","amountUsd":"1"}"#, "tenantId"),
            (#"{"wallet":"team","amountUsd":"1"}"#, "tenantId"),
            (#"{"tenantId":7,"wallet":"team","amountUsd":"1"}"#, "tenantId"),
            (#"{"tenantId":"t","wallet":null,"amountUsd":"1"}"#, "wallet"),
            (#"{"tenantId":"t","wallet":"team","amountUsd":"1","reason":"\#(String(repeating: "r", count: 501))"}"#, "reason"),
            (#"{"tenantId":"t","wallet":"team","amountUsd":"1""#, ""),
            (#"[1,2,3]"#, ""),
            (#"not json"#, ""),
        ]
        try await harness.test { client in
            for (body, field) in cases {
                let response = try await client.send(.post, "/llm-orch/v1/_internal/wallets/credit", internalKey: TestKeys.internalKey, json: body)
                #expect(response.status == .badRequest, "\(body.prefix(80))")
                let envelope = try ParsedEnvelope(response)
                #expect(envelope.errorCode == "invalid_request", "\(body.prefix(80))")
                if !field.isEmpty { #expect(envelope.errorField == field, "\(body.prefix(80))") }
            }
            let noType = try await client.send(.post, "/llm-orch/v1/_internal/wallets/credit", internalKey: TestKeys.internalKey,
                                               json: #"{"tenantId":"t","wallet":"team","amountUsd":"1"}"#, headers: [.contentType: "text/plain"])
            #expect(noType.status == .unsupportedMediaType)
            let empty = try await client.send(.post, "/llm-orch/v1/_internal/wallets/credit", internalKey: TestKeys.internalKey, json: "")
            #expect(empty.status == .badRequest)
            #expect(try await harness.runtime.wallets.balance(of: .team("t")) == nil)
        }
    }
}

@Suite("POST /_internal/wallets/credit: reserved tenants")
struct ReservedTenantCreditTests {
    @Test("credit to a reserved tenant is 400 naming tenantId, and no wallet is made", arguments: ["system", "_internal"])
    func refused(tenant: String) async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let response = try await client.credit(tenant: tenant, amount: "1.00")
            #expect(response.status == .badRequest)
            let envelope = try ParsedEnvelope(response)
            #expect(envelope.errorCode == "invalid_request" && envelope.errorField == "tenantId")
            #expect(try await harness.runtime.wallets.balance(of: .team(tenant)) == nil)
        }
    }
}
