import Foundation
import Runtime

/// The synced templates' SQL: upsert by (provider, name, language), mark removed the ones a
/// provider stopped listing, list and find.
struct TemplateStore: Sendable {
    let database: SQLiteStore

    enum Change: Sendable {
        case created, updated, unchanged
    }

    private static let columns = """
        id, provider, provider_template_id, name, language, channel, category, status, variables, body, removed_at, synced_at
        """

    private static let decoder = JSONDecoder()

    private static func record(_ row: SQLiteStatement) -> TemplateRecord {
        TemplateRecord(
            id: row.int64(0), provider: row.string(1) ?? "", providerTemplateID: row.string(2) ?? "", name: row.string(3) ?? "",
            language: row.string(4) ?? "", channel: Channel(rawValue: row.string(5) ?? "") ?? .sms, category: row.string(6),
            status: row.optionalInt64(10) == nil ? (row.string(7) ?? "") : "removed",
            variables: row.data(8).flatMap { try? decoder.decode([String].self, from: $0) } ?? [], body: row.string(9),
            removedAt: row.optionalInt64(10).map(Date.init(millisecondsSince1970:)), syncedAt: Date(millisecondsSince1970: row.int64(11)))
    }

    /// Writes one page of a provider's templates in one commit, saying what each did.
    func upsert(_ templates: [ProviderTemplate], provider: String, now: Date) async throws -> [(id: Int64, change: Change)] {
        try await database.write { db in
            let nowMS = now.millisecondsSince1970
            let find = try db.statement("""
                SELECT id, provider_template_id, channel, category, status, variables, body, removed_at
                FROM templates WHERE provider = ? AND name = ? AND language = ?
                """)
            let insert = try db.statement("""
                INSERT INTO templates (provider, provider_template_id, name, language, channel, category, status, variables, body,
                                       synced_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let update = try db.statement("""
                UPDATE templates SET provider_template_id = ?, channel = ?, category = ?, status = ?, variables = ?, body = ?,
                                     removed_at = NULL, synced_at = ?, updated_at = ? WHERE id = ?
                """)
            let touch = try db.statement("UPDATE templates SET synced_at = ? WHERE id = ?")
            var changes: [(id: Int64, change: Change)] = []
            let encoder = JSONEncoder()
            for template in templates {
                let variables = String(decoding: try encoder.encode(template.variables), as: UTF8.self)
                find.reset()
                find.bind(1, provider)
                find.bind(2, template.name)
                find.bind(3, template.language)
                if try find.step() {
                    let id = find.int64(0)
                    let same = find.string(1) == template.providerTemplateID && find.string(2) == template.channel.rawValue
                        && find.string(3) == template.category && find.string(4) == template.approval && find.string(5) == variables
                        && find.string(6) == template.body && find.isNull(7)
                    if same {
                        touch.reset()
                        touch.bind(1, nowMS)
                        touch.bind(2, id)
                        try touch.run()
                        changes.append((id, .unchanged))
                        continue
                    }
                    update.reset()
                    update.bind(1, template.providerTemplateID)
                    update.bind(2, template.channel.rawValue)
                    update.bind(3, template.category)
                    update.bind(4, template.approval)
                    update.bind(5, variables)
                    update.bind(6, template.body)
                    update.bind(7, nowMS)
                    update.bind(8, nowMS)
                    update.bind(9, id)
                    try update.run()
                    changes.append((id, .updated))
                } else {
                    insert.reset()
                    insert.bind(1, provider)
                    insert.bind(2, template.providerTemplateID)
                    insert.bind(3, template.name)
                    insert.bind(4, template.language)
                    insert.bind(5, template.channel.rawValue)
                    insert.bind(6, template.category)
                    insert.bind(7, template.approval)
                    insert.bind(8, variables)
                    insert.bind(9, template.body)
                    insert.bind(10, nowMS)
                    insert.bind(11, nowMS)
                    insert.bind(12, nowMS)
                    try insert.run()
                    changes.append((db.lastInsertRowID, .created))
                }
            }
            return changes
        }
    }

    /// Marks removed the provider's templates that a complete listing did not include (`listed`
    /// holds the ids of those it did); returns how many.
    func markRemoved(provider: String, listed: Set<Int64>, now: Date) async throws -> Int {
        let ids = String(decoding: try JSONEncoder().encode(listed.sorted()), as: UTF8.self)
        return try await database.write { db in
            let update = try db.statement("""
                UPDATE templates SET removed_at = ?, updated_at = ?
                WHERE provider = ? AND removed_at IS NULL AND id NOT IN (SELECT value FROM json_each(?))
                """)
            update.bind(1, now.millisecondsSince1970)
            update.bind(2, now.millisecondsSince1970)
            update.bind(3, provider)
            update.bind(4, ids)
            try update.run()
            return db.changes
        }
    }

    func template(id: Int64) async throws -> TemplateRecord? {
        try await database.read { db in
            let select = try db.statement("SELECT \(Self.columns) FROM templates WHERE id = ?")
            select.bind(1, id)
            return try select.step() ? Self.record(select) : nil
        }
    }

    /// Templates by id, `limit` at a time after `after`; removed ones only when asked.
    /// Templates of the given (provider, channel) routes (nil: of every provider), by id after `after`.
    func templates(routes: [(provider: String, channel: Channel)]? = nil, channel: Channel?, includeRemoved: Bool, after: Int64?, limit: Int)
        async throws -> [TemplateRecord] {
        let pairs = try routes.map { String(decoding: try JSONEncoder().encode($0.map { "\($0.provider)|\($0.channel.rawValue)" }), as: UTF8.self) }
        return try await database.read { db in
            let select = try db.statement("""
                SELECT \(Self.columns) FROM templates
                WHERE id > ?1 AND (?2 IS NULL OR channel = ?2) AND (?3 = 1 OR removed_at IS NULL)
                  AND (?5 IS NULL OR provider || '|' || channel IN (SELECT value FROM json_each(?5)))
                ORDER BY id LIMIT ?4
                """)
            select.bind(1, after ?? 0)
            select.bind(2, channel?.rawValue)
            select.bind(3, includeRemoved ? 1 : 0)
            select.bind(4, limit)
            select.bind(5, pairs)
            var templates: [TemplateRecord] = []
            while try select.step() { templates.append(Self.record(select)) }
            return templates
        }
    }
}
