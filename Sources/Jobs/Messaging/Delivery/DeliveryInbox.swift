import Foundation
public import Runtime

/// The durable inbox of delivery reports: each verified report is stored once (by its
/// `dedupeKey`) in the same commit as the `messaging.delivery` job that applies it, so a report
/// acknowledged to the provider is never lost, and a repeat changes nothing.
public enum DeliveryInbox {
    public static let migrations: [Migration] = [
        Migration(version: 330, name: "delivery_reports", sql: """
            CREATE TABLE delivery_reports (
                id                  INTEGER PRIMARY KEY,
                dedupe_key          TEXT    NOT NULL UNIQUE,
                provider            TEXT    NOT NULL,
                message_id          TEXT,
                provider_message_id TEXT    NOT NULL,
                provider_status     TEXT    NOT NULL,
                error_code          TEXT,
                received_at         INTEGER NOT NULL,
                applied_at          INTEGER,
                outcome             TEXT
            );
            CREATE INDEX messages_provider_id ON messages (provider, provider_message_id);
            """),
    ]

    /// Stores `reports` (those already stored are skipped) with one job each to apply it, in one
    /// commit; returns how many were new.
    @discardableResult
    public static func record(_ reports: [DeliveryReport], runtime: JobRuntime) async throws -> Int {
        // A report with neither our id nor the provider's can never find a message (e.g. SendGrid
        // events for mail sent by something else on the account): not stored.
        let reports = reports.filter { $0.messageID != nil || !$0.providerMessageID.isEmpty }
        guard !reports.isEmpty else { return 0 }
        let now = runtime.clock.now().millisecondsSince1970
        var jobs: [NewJob] = []
        for report in reports {
            jobs.append(try NewJob(DeliveryApplyJob.self, tenant: DeliveryApplyJob.tenant, payload: .init(dedupeKey: report.dedupeKey),
                                   uniqueKey: "delivery:" + report.dedupeKey))
        }
        let enqueued = try await runtime.enqueue(jobs) { db in
            for report in reports { try insert(report, receivedAt: now, db) }
        }
        return enqueued.filter(\.created).count
    }

    /// Stores one report in the caller's transaction, unless it is stored already.
    static func insert(_ report: DeliveryReport, receivedAt now: Int64, _ db: SQLiteConnection) throws {
        try db.run("""
            INSERT INTO delivery_reports (dedupe_key, provider, message_id, provider_message_id, provider_status, error_code, received_at)
            VALUES (\(report.dedupeKey), \(report.provider), \(report.messageID), \(report.providerMessageID),
                    \(report.providerStatus), \(report.errorCode), \(now))
            ON CONFLICT (dedupe_key) DO NOTHING
            """)
    }
}
