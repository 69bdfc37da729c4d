import Dispatch
import Foundation
import PostgresTestSupport
import Testing
@testable import Runtime

@Suite("PostgreSQL's group commit: a group's bodies share a transaction, and each commits or fails alone")
struct PostgresGroupCommitTests {
    private struct Refused: Error {}

    /// A backend with one session and a table of numbered rows, the row -1 already in it.
    private static func backend() async throws -> PostgresBackend {
        var url = try await TestPostgres.shared.freshDatabase()
        url.sessions = 1
        let table = Migration(version: 1, name: "grouped", sql: """
            CREATE TABLE grouped (id BIGINT PRIMARY KEY);
            INSERT INTO grouped (id) VALUES (-1);
            """)
        return try await PostgresBackend.open(url, migrations: [table])
    }

    /// Runs `count` writes in the group "g" while the one session is held busy, so they wait
    /// together; `body(i)` is write i's body. Returns each write's result, by i.
    private static func groupedWrites(_ backend: PostgresBackend, count: Int, _ body: @escaping @Sendable (Int, Transaction) throws -> Int64)
        async throws -> [Int: Result<Int64, any Error>] {
        let release = DispatchSemaphore(value: 0)
        let blocker = Task { try await backend.write { _ in release.wait() } }
        return await withTaskGroup(of: (Int, Result<Int64, any Error>).self) { tasks in
            for index in 0..<count {
                tasks.addTask {
                    do { return (index, .success(try await backend.write(grouping: "g") { try body(index, $0) })) } catch {
                        return (index, .failure(error))
                    }
                }
            }
            // Every write waits in a group before the session is let go (a bound on a hang, not a timing assertion).
            var polls = 0
            while backend.sessions.groups.waitingBodies < count && polls < 10_000 {
                try? await Task.sleep(for: .milliseconds(1))
                polls += 1
            }
            #expect(backend.sessions.groups.waitingBodies == count)
            release.signal()
            _ = try? await blocker.value
            var results: [Int: Result<Int64, any Error>] = [:]
            for await (index, result) in tasks { results[index] = result }
            return results
        }
    }

    private static func transactionID(_ tx: Transaction) throws -> Int64 {
        try tx.first("SELECT txid_current() AS id") { $0["id"] as Int64 }!
    }

    @Test("40 writes that all succeed commit in 2 transactions (32 + 8), each caller getting its own value")
    func groupsShareATransaction() async throws {
        let backend = try await Self.backend()
        let results = try await Self.groupedWrites(backend, count: 40) { index, tx in
            try tx.run("INSERT INTO grouped (id) VALUES (\(index))")
            return try Self.transactionID(tx)
        }
        let transactions = Set(results.values.compactMap { try? $0.get() })
        #expect(results.count == 40 && results.values.allSatisfy { (try? $0.get()) != nil })
        #expect(transactions.count == 2)
        let rows = try await backend.read { tx in try tx.all("SELECT id FROM grouped WHERE id >= 0 ORDER BY id") { $0["id"] as Int } }
        #expect(rows == Array(0..<40))
        await backend.close()
    }

    @Test("a body that throws, or whose unawaited statement fails, loses only its own rows; the rest of its group commits")
    func failuresStayTheirOwn() async throws {
        let backend = try await Self.backend()
        let results = try await Self.groupedWrites(backend, count: 40) { index, tx in
            try tx.run("INSERT INTO grouped (id) VALUES (\(index))")
            let transaction = try Self.transactionID(tx)
            if index % 5 == 0 { throw Refused() }
            // A duplicate of row -1, sent without waiting as the body's last statement: its
            // failure is this body's only if the group reads each body's answers before the
            // next body runs.
            if index % 7 == 0 { try tx.send("INSERT INTO grouped (id) VALUES (-1)") }
            return transaction
        }
        let expected = (0..<40).filter { $0 % 5 != 0 && $0 % 7 != 0 }
        for index in 0..<40 {
            switch results[index] {
            case .success?: #expect(expected.contains(index), "write \(index) should have failed")
            case .failure(let error)?:
                if index % 5 == 0 { #expect(error is Refused, "write \(index): \(error)") }
                else { #expect((error as? StoreError)?.kind == .constraint, "write \(index): \(error)") }
            case nil: Issue.record("write \(index) has no result")
            }
        }
        #expect(Set(results.values.compactMap { try? $0.get() }).count == 2)
        let rows = try await backend.read { tx in try tx.all("SELECT id FROM grouped WHERE id >= 0 ORDER BY id") { $0["id"] as Int } }
        #expect(rows == expected)
        await backend.close()
    }
}
