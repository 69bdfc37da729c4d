import Foundation
import HTTPFront
import HummingbirdTesting
import Runtime
import Testing

/// Health reports the database file's state: degraded while writes are refused, 503 once it is damaged.
@Suite("Health")
struct HealthTests {
    @Test("a full disk turns health degraded with code storage_full; a commit turns it ok again")
    func degradedWhileWritesRefused() async throws {
        let harness = try await Harness.make()
        let database = harness.runtime.sqlite!
        try await harness.test { client in
            for path in ["/llm-orch/v1/health", "/cpaas/v1/_internal/healthz"] {
                let ok = try ParsedEnvelope(try await client.get(path))
                #expect(ok.dataObject?["status"] as? String == "ok" && ok.dataObject?["code"] == nil)
            }
            let pages = try await database.write { db in try db.scalar("PRAGMA page_count") ?? 0 }
            try await database.write { db in try db.execute("PRAGMA max_page_count = \(pages)") }
            await #expect(throws: StoreError.self) {
                try await database.write { db in try db.execute("CREATE TABLE filler (body TEXT); INSERT INTO filler VALUES (zeroblob(100000))") }
            }
            for path in ["/llm-orch/v1/health", "/cpaas/v1/_internal/healthz"] {
                let response = try await client.get(path)
                #expect(response.status == .ok)
                let degraded = try ParsedEnvelope(response)
                #expect(degraded.dataObject?["status"] as? String == "degraded")
                #expect(degraded.dataObject?["code"] as? String == "storage_full")
                #expect((degraded.dataObject?["reason"] as? String)?.contains(database.configuration.path) == true)
            }
            try await database.write { db in try db.execute("PRAGMA max_page_count = 1000000") }
            try await database.write { db in try db.execute("CREATE TABLE IF NOT EXISTS filler (body TEXT); INSERT INTO filler VALUES ('x')") }
            #expect(try ParsedEnvelope(try await client.get("/llm-orch/v1/health")).dataObject?["status"] as? String == "ok")
        }
    }

    @Test("a damaged database file turns health 503 storage_corrupt, naming the file")
    func corruptIs503() async throws {
        let harness = try await Harness.make()
        harness.runtime.sqlite!.health.record(StoreError(kind: .corrupt, resultCode: 11, message: "database disk image is malformed"))
        try await harness.test { client in
            for path in ["/llm-orch/v1/health", "/cpaas/v1/_internal/healthz"] {
                let response = try await client.get(path)
                #expect(response.status == .serviceUnavailable)
                let envelope = try ParsedEnvelope(response)
                #expect(envelope.errorCode == "storage_corrupt")
                #expect((envelope.error?["message"] as? String)?.contains("switchboard check") == true)
            }
        }
    }
}
