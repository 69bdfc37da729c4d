import Foundation
import Runtime

/// The synced templates' SQL: upsert by (provider, name, language), mark removed the ones a
/// provider stopped listing, list and find.
struct TemplateStore: Sendable {
    let backend: any Backend

    enum Change: Sendable {
        case created, updated, unchanged
    }

    private static let columns = """
        id, provider, provider_template_id, name, language, channel, category, status, variables, body, removed_at, synced_at
        """

    private static let decoder = JSONDecoder()

    private static func record(_ row: borrowing SQLRow) -> TemplateRecord {
        let removedAt = row["removed_at"] as Int64?
        return TemplateRecord(
            id: row["id"], provider: row["provider"], providerTemplateID: row["provider_template_id"], name: row["name"],
            language: row["language"], channel: Channel(rawValue: row["channel"]) ?? .sms, category: row["category"],
            status: removedAt == nil ? row["status"] : "removed",
            variables: (row["variables"] as Data?).flatMap { try? decoder.decode([String].self, from: $0) } ?? [], body: row["body"],
            removedAt: removedAt.map(Date.init(millisecondsSince1970:)), syncedAt: Date(millisecondsSince1970: row["synced_at"]))
    }

    /// A template row as stored, to compare with what the provider lists now.
    private struct Stored {
        var id: Int64
        var providerTemplateID: String?
        var channel: String?
        var category: String?
        var status: String?
        var variables: String?
        var body: String?
        var removed: Bool
    }

    /// Writes one page of a provider's templates in one commit, saying what each did.
    func upsert(_ templates: [ProviderTemplate], provider: String, now: Date) async throws -> [(id: Int64, change: Change)] {
        try await backend.write { tx in
            let nowMS = now.millisecondsSince1970
            var changes: [(id: Int64, change: Change)] = []
            let encoder = JSONEncoder()
            for template in templates {
                let variables = String(decoding: try encoder.encode(template.variables), as: UTF8.self)
                let found = try tx.first("""
                    SELECT id, provider_template_id, channel, category, status, variables, body, removed_at
                    FROM templates WHERE provider = \(provider) AND name = \(template.name) AND language = \(template.language)
                    """) { row in
                    Stored(id: row["id"], providerTemplateID: row["provider_template_id"], channel: row["channel"], category: row["category"],
                           status: row["status"], variables: row["variables"], body: row["body"], removed: (row["removed_at"] as Int64?) != nil)
                }
                guard let found else {
                    let id = try tx.insertReturningID("""
                        INSERT INTO templates (provider, provider_template_id, name, language, channel, category, status, variables, body,
                                               synced_at, created_at, updated_at)
                        VALUES (\(provider), \(template.providerTemplateID), \(template.name), \(template.language), \(template.channel.rawValue),
                                \(template.category), \(template.approval), \(variables), \(template.body), \(nowMS), \(nowMS), \(nowMS))
                        """)
                    changes.append((id, .created))
                    continue
                }
                let same = found.providerTemplateID == template.providerTemplateID && found.channel == template.channel.rawValue
                    && found.category == template.category && found.status == template.approval && found.variables == variables
                    && found.body == template.body && !found.removed
                if same {
                    try tx.run("UPDATE templates SET synced_at = \(nowMS) WHERE id = \(found.id)")
                    changes.append((found.id, .unchanged))
                    continue
                }
                try tx.run("""
                    UPDATE templates SET provider_template_id = \(template.providerTemplateID), channel = \(template.channel.rawValue),
                                         category = \(template.category), status = \(template.approval), variables = \(variables),
                                         body = \(template.body), removed_at = NULL, synced_at = \(nowMS), updated_at = \(nowMS)
                    WHERE id = \(found.id)
                    """)
                changes.append((found.id, .updated))
            }
            return changes
        }
    }

    /// Marks removed the provider's templates that a complete listing did not include (`listed`
    /// holds the ids of those it did); returns how many.
    func markRemoved(provider: String, listed: Set<Int64>, now: Date) async throws -> Int {
        // `NOT IN (NULL)` (an empty list) would match nothing: with nothing listed, every one goes.
        let unlisted: SQL = listed.isEmpty ? "" : " AND id NOT IN (\(list: listed.sorted()))"
        let at = now.millisecondsSince1970
        return try await backend.write { tx in
            try tx.run("""
                UPDATE templates SET removed_at = \(at), updated_at = \(at)
                WHERE provider = \(provider) AND removed_at IS NULL\(unlisted)
                """)
        }
    }

    func template(id: Int64) async throws -> TemplateRecord? {
        try await backend.read { tx in
            try tx.first("SELECT \(raw: Self.columns) FROM templates WHERE id = \(id)") { Self.record($0) }
        }
    }

    /// Templates of the given (provider, channel) routes (nil: of every provider), by id after
    /// `after`, `limit` at a time; removed ones only when asked.
    func templates(routes: [(provider: String, channel: Channel)]? = nil, channel: Channel?, includeRemoved: Bool, after: Int64?, limit: Int)
        async throws -> [TemplateRecord] {
        var filter: SQL = ""
        if let channel { filter = "\(filter) AND channel = \(channel.rawValue)" }
        if !includeRemoved { filter = "\(filter) AND removed_at IS NULL" }
        if let routes { filter = "\(filter) AND provider || '|' || channel IN (\(list: routes.map { "\($0.provider)|\($0.channel.rawValue)" }))" }
        return try await backend.read { [filter] tx in
            try tx.all("SELECT \(raw: Self.columns) FROM templates WHERE id > \(after ?? 0)\(filter) ORDER BY id LIMIT \(limit)") {
                Self.record($0)
            }
        }
    }
}
