import Foundation
public import Runtime

/// The durable inbox of delivery reports: each verified report is stored once (by its
/// `dedupeKey`) in the same commit that applies it — or, when its message is not known yet, with
/// the `messaging.delivery` job that will — so a report acknowledged to the provider is never
/// lost, and a repeat changes nothing.
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

    /// Stores `reports` (those already stored are skipped) and applies each to its message in the
    /// same commit; a report whose message is not known yet (it came before the send's answer)
    /// gets a `messaging.delivery` job in that commit instead, which waits for it. Returns how
    /// many were new.
    @discardableResult
    public static func record(_ reports: [DeliveryReport], runtime: JobRuntime) async throws -> Int {
        // A report with neither our id nor the provider's can never find a message (e.g. SendGrid
        // events for mail sent by something else on the account): not stored.
        let reports = reports.filter { $0.messageID != nil || !$0.providerMessageID.isEmpty }
        guard !reports.isEmpty else { return 0 }
        let now = runtime.clock.now()
        let at = now.millisecondsSince1970
        let (stored, waiting) = try await runtime.backend.write { tx in
            var stored = 0, waiting: [NewJob] = []
            for report in reports where try insert(report, receivedAt: at, tx) {
                stored += 1
                let key = report.dedupeKey
                // Applied from what was just stored, without reading it back; only a report whose
                // message is not known yet gets its job (and the payload's encoding).
                if try DeliveryApplyJob.apply(.init(report, receivedAt: at), dedupeKey: key, now: at, tx) == nil {
                    waiting.append(try NewJob(DeliveryApplyJob.self, tenant: DeliveryApplyJob.tenant, payload: .init(dedupeKey: key),
                                              uniqueKey: "delivery:" + key))
                }
            }
            if !waiting.isEmpty { try runtime.enqueue(waiting, now: now, in: tx) }
            return (stored, waiting.count)
        }
        if waiting > 0 { runtime.workArrived() }
        return stored
    }

    /// Stores one report in the caller's transaction, unless it is stored already; true if it is new.
    static func insert(_ report: DeliveryReport, receivedAt now: Int64, _ tx: Transaction) throws -> Bool {
        try tx.run("""
            INSERT INTO delivery_reports (dedupe_key, provider, message_id, provider_message_id, provider_status, error_code, received_at)
            VALUES (\(report.dedupeKey), \(report.provider), \(report.messageID), \(report.providerMessageID),
                    \(report.providerStatus), \(report.errorCode), \(now))
            ON CONFLICT (dedupe_key) DO NOTHING
            """) == 1
    }
}
