import Foundation
import PostgresTestSupport
import Testing
@testable import Runtime

@Suite("PostgreSQL TLS")
struct PostgresTLSTests {
    /// Whether the backend's own connection is encrypted, as the server sees it.
    private func encrypted(_ url: PostgresURL) async throws -> Bool {
        let backend = try await PostgresBackend.open(url, migrations: [])
        do {
            let on = try await backend.read { tx in
                try tx.first("SELECT CASE WHEN ssl THEN 1 ELSE 0 END AS on FROM pg_stat_ssl WHERE pid = pg_backend_pid()") { $0["on"] as Int }
            }
            await backend.close()
            return on == 1
        } catch {
            await backend.close()
            throw error
        }
    }

    private func url(_ server: PostgresURL, _ options: String) throws -> PostgresURL {
        var url = try PostgresURL(parsing: "postgres://\(server.username)@\(server.host):\(server.port)/\(server.database)?\(options)")
        url.sessions = 1
        return url
    }

    @Test("sslmode as libpq reads it: prefer and require encrypt, verify-full checks the CA and the host, disable does not encrypt")
    func modes() async throws {
        // A cluster of its own that serves TLS with a throwaway CA (Scripts/postgres.sh start-tls).
        let directory = NSTemporaryDirectory() + "switchboard-test-pg-tls-\(UUID().uuidString)"
        let server = try PostgresURL(parsing: try await onDedicatedThread(name: "pg-start") { try TestPostgres.script("start-tls", directory) })
        defer {
            _ = try? TestPostgres.script("stop", directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let ca = directory + "/tls/ca.crt"
        #expect(server.tls == .prefer, "prefer is the default, as in libpq")
        #expect(try await encrypted(url(server, "sessions=1")))
        #expect(try await encrypted(url(server, "sslmode=require")))
        var byName = try url(server, "sslmode=verify-full&sslrootcert=\(ca)")
        byName.host = "localhost"
        #expect(try await encrypted(byName))
        #expect(try await encrypted(url(server, "sslmode=verify-ca&sslrootcert=\(ca)")))
        #expect(try await !encrypted(url(server, "sslmode=disable")))

        // The throwaway CA is not among the system's, so verifying against those fails, at open.
        await #expect(throws: StoreError.self) { _ = try await encrypted(url(server, "sslmode=verify-full")) }
        // The server's certificate names localhost, not 127.0.0.1 (the same server by its address).
        await #expect(throws: StoreError.self) { _ = try await encrypted(url(server, "sslmode=verify-full&sslrootcert=\(ca)")) }
        do {
            _ = try await encrypted(url(server, "sslmode=require&sslrootcert=\(directory)/tls/missing.crt"))
            Issue.record("an unreadable sslrootcert was accepted")
        } catch let error as StoreError {
            #expect(error.kind == .cannotOpen && error.message.contains("missing.crt"), "\(error)")
        }
    }

    @Test("sslmode=require against a server without TLS is refused at open, not sent in the clear")
    func requireWithoutTLS() async throws {
        let server = try await TestPostgres.shared.freshDatabase()
        do {
            _ = try await encrypted(url(server, "sslmode=require"))
            Issue.record("a plain connection was accepted under sslmode=require")
        } catch let error as StoreError {
            #expect(error.kind == .cannotOpen, "\(error)")
        }
        #expect(try await !encrypted(url(server, "sslmode=prefer")), "prefer falls back to a plain connection")
    }
}
