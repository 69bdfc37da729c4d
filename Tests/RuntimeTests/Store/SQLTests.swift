import Foundation
import Testing
@testable import Runtime

@Suite("Queries as values")
struct SQLTests {
    @Test("interpolated values become parameters, never text; raw splices; lists expand; description hides arguments")
    func interpolation() {
        let name = "x'); DROP TABLE t; --"
        let query: SQL = "SELECT * FROM \(raw: "t") WHERE name = \(name) AND id IN (\(list: [1, 2, 3])) AND n = \(Int64?.none)"
        #expect(query.text == "SELECT * FROM t WHERE name = ? AND id IN (?, ?, ?) AND n = ?")
        #expect(query.arguments == [.text(name), .integer(1), .integer(2), .integer(3), .null])
        #expect(!query.description.contains("DROP"))
        let empty: SQL = "SELECT 1 WHERE 1 IN (\(list: [Int]()))"
        #expect(empty.text == "SELECT 1 WHERE 1 IN (NULL)")
        let nested: SQL = "SELECT \(7) WHERE \(SQL("a = \("b")"))"
        #expect(nested.text == "SELECT ? WHERE a = ?")
        #expect(nested.arguments == [.integer(7), .text("b")])
    }

    @Test("values round-trip through SQLite, read by column name")
    func roundTrip() async throws {
        let directory = TemporaryDirectory()
        let store = try await SQLiteStore.open(StoreConfiguration(path: directory.databasePath), migrations: [
            Migration(version: 1, name: "t", sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER, blob BLOB, json TEXT, real REAL)"),
        ])
        let changed = try await store.write { db in
            try db.run("INSERT INTO t (name, n, blob, json, real) VALUES (\("it's"), \(Int64?.none), \(Data()), \(SQLText(Data("{}".utf8))), \(1.5))")
                + db.run("INSERT INTO t (name, n, blob, json, real) VALUES (\("b"), \(42), \(Data([0, 1])), \(SQLText?.none), \(0.0))")
        }
        #expect(changed == 2)
        let rows = try await store.read { db in
            try db.all("SELECT id, name, n, blob, json, real FROM t ORDER BY id") { row in
                (row["name"] as String, row["n"] as Int?, row["blob"] as Data?, row["json"] as String?, row["real"] as Double)
            }
        }
        #expect(rows.count == 2)
        #expect(rows[0].0 == "it's" && rows[0].1 == nil && rows[0].2 == Data() && rows[0].3 == "{}" && rows[0].4 == 1.5)
        #expect(rows[1].0 == "b" && rows[1].1 == 42 && rows[1].2 == Data([0, 1]) && rows[1].3 == nil)
        let missing = try await store.read { db in try db.first("SELECT name FROM t WHERE id = \(99)") { $0["name"] as String } }
        #expect(missing == nil)
        let byName = try await store.read { db in try db.first("SELECT n, name FROM t WHERE name = \("b")") { $0["n"] as Int } }
        #expect(byName == 42)
        await store.close()
    }
}
