import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Runtime
import Synchronization
import Testing

@Suite("Jobs API")
struct JobsAPITests {
    /// Enqueues `count` jobs for `tenant` due in an hour (they stay `scheduled`).
    static func enqueue(_ harness: Harness, tenant: String, count: Int, kind: String = "noop") async throws -> [JobID] {
        let later = Date().addingTimeInterval(3_600)
        return try await harness.runtime.enqueue((0..<count).map { _ in NewJob(kind: kind, tenant: tenant, runAt: later) })
            .map(\.job.id)
    }

    @Test("cursor paging visits every job exactly once, newest first, while other jobs are being inserted")
    func pagingUnderInserts() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let existing = Set(try await Self.enqueue(harness, tenant: TestKeys.tenant, count: 95))
        try await harness.test { client in
            let inserting = Task {
                for _ in 0..<30 { _ = try await Self.enqueue(harness, tenant: TestKeys.tenant, count: 3) }
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = cursor.map { "&cursor=\($0)" } ?? ""
                let response = try await client.get("/llm-orch/v1/jobs?limit=7\(query)", token: token)
                #expect(response.status == .ok)
                let envelope = try ParsedEnvelope(response)
                seen += try #require(envelope.dataArray).compactMap { $0["id"] as? String }
                cursor = envelope.page?["next_cursor"] as? String
                #expect((envelope.page?["has_more"] as? Bool) == (cursor != nil))
                pages += 1
            } while cursor != nil && pages < 100
            try await inserting.value
            #expect(Set(seen).count == seen.count, "a job was shown twice")
            let seenIDs = Set(seen.compactMap(JobID.init))
            #expect(existing.isSubset(of: seenIDs), "a job that existed before paging began was skipped")
            let ordered = seen.compactMap(JobID.init)
            #expect(ordered == ordered.sorted(by: >), "pages are not newest first")
        }
    }

    @Test("state and kind filter the list; bad filters and cursors are 400 naming the parameter")
    func filters() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let ids = try await Self.enqueue(harness, tenant: TestKeys.tenant, count: 3)
        _ = try await harness.runtime.cancel(ids[0])
        try await harness.test { client in
            let cancelled = try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs?state=cancelled", token: token))
            #expect(cancelled.dataArray?.map { $0["id"] as? String } == [ids[0].description])
            let both = try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs?state=cancelled,scheduled&kind=noop", token: token))
            #expect(both.dataArray?.count == 3)
            let otherKind = try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs?kind=inference.complete", token: token))
            #expect(otherKind.dataArray?.isEmpty == true)
            let bad: [(String, String)] = [
                ("state=bogus", "state"), ("state=,,,", "state"), ("state=", "state"), ("state=queued,", "state"), ("kind=", "kind"),
                ("limit=0", "limit"), ("limit=101", "limit"), ("limit=ten", "limit"),
                ("cursor=not-a-cursor", "cursor"), ("cursor=\(Paging.encode(5, list: "ledger"))", "cursor"),
            ]
            for (query, field) in bad {
                let response = try await client.get("/llm-orch/v1/jobs?\(query)", token: token)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try ParsedEnvelope(response).errorField == field, "\(query)")
            }
        }
    }

    @Test("another tenant's jobs are invisible: not listed, 404 to read, 404 to cancel, and never cancelled")
    func tenantIsolation() async throws {
        let harness = try await Harness.make()
        let mine = try await harness.token()
        let theirs = try await Self.enqueue(harness, tenant: TestKeys.otherTenant, count: 2)
        _ = try await Self.enqueue(harness, tenant: TestKeys.tenant, count: 1)
        try await harness.test { client in
            let list = try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs", token: mine))
            #expect(list.dataArray?.count == 1)
            #expect(list.dataArray?.contains { ($0["id"] as? String) == theirs[0].description } == false)
            let read = try await client.get("/llm-orch/v1/jobs/\(theirs[0])", token: mine)
            #expect(read.status == .notFound)
            let cancel = try await client.send(.post, "/llm-orch/v1/jobs/\(theirs[0])/cancel", token: mine)
            #expect(cancel.status == .notFound)
            #expect(try ParsedEnvelope(cancel).errorCode == "not_found")
            #expect(try await harness.runtime.job(theirs[0])?.state == .scheduled)
        }
    }

    @Test("reading and cancelling a job; cancelling a finished one is 409; a malformed id is 404")
    func readAndCancel() async throws {
        let harness = try await Harness.make()
        let token = try await harness.token()
        let id = try await Self.enqueue(harness, tenant: TestKeys.tenant, count: 1)[0]
        try await harness.test { client in
            let read = try ParsedEnvelope(try await client.get("/llm-orch/v1/jobs/\(id)", token: token))
            #expect(read.dataObject?["state"] as? String == "scheduled")
            #expect(read.dataObject?["kind"] as? String == "noop")
            #expect(read.dataObject?["payload"] is [String: Any])
            // Absent values are null, not missing: every job has the same keys.
            #expect(read.dataObject?["finishedAt"] is NSNull)
            #expect(read.dataObject?["lastError"] is NSNull)
            let cancel = try await client.send(.post, "/llm-orch/v1/jobs/\(id)/cancel", token: token)
            #expect(cancel.status == .ok)
            #expect(try ParsedEnvelope(cancel).dataObject?["state"] as? String == "cancelled")
            let again = try await client.send(.post, "/llm-orch/v1/jobs/\(id)/cancel", token: token)
            #expect(again.status == .conflict)
            #expect(try ParsedEnvelope(again).errorCode == "job_finished")
            for bad in ["x", "%20", String(repeating: "z", count: 300), "-1"] {
                #expect(try await client.get("/llm-orch/v1/jobs/\(bad)", token: token).status == .notFound, "\(bad)")
            }
        }
    }
}
