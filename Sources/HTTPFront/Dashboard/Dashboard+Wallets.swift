import Foundation
import Hummingbird
import Runtime

/// Tenants' wallets: balance, reserved and available, and each wallet's spend over the last six
/// hours in ten-minute bars (from `DashboardActivity`'s reading of the ledger).
extension Dashboard {
    func walletsPage(_ request: Request, _ session: DashboardSessions.Session) async throws -> Response {
        let tenant = Self.filter(request, "tenant")
        let limit = Self.limit(request)
        let rows = try await queries.wallets(tenant: tenant, before: Self.before(request), limit: limit + 1)
        let shown = rows.prefix(limit)
        let now = runtime.clock.now()
        let wallets: [[String: Any]] = shown.map { row in
            let spend = metrics.activity.spend(wallet: row.id)
            let total = spend.reduce(0) { $0 + $1.microUSD }
            return ["id": row.id, "tenant": row.tenant, "owner": row.owner, "balance": DashboardFormat.usd(row.balance),
                    "reserved": DashboardFormat.usd(row.reserved), "available": DashboardFormat.usd(row.balance - row.reserved),
                    "spent": DashboardFormat.usd(total), "bars": Self.spendBars(spend, now: now),
                    "updated": DashboardFormat.time(row.updatedAt),
                    "tenantLink": Self.base + "/wallets?tenant=" + Self.queryEscaped(row.tenant)]
        }
        var values: [String: Any] = ["wallets": wallets, "empty": wallets.isEmpty, "tenant": tenant ?? ""]
        if rows.count > limit, let last = shown.last {
            values["next"] = Self.base + "/wallets?before=\(last.id)" + (tenant.map { "&tenant=" + Self.queryEscaped($0) } ?? "")
        }
        return render("wallets", title: "Tenants and wallets", section: "Wallets", session: session, values)
    }

    /// 36 bars (ten minutes each, oldest first) as SVG rectangles, scaled to the largest.
    static func spendBars(_ spend: [DashboardActivity.SpendBucket], now: Date) -> [[String: Any]] {
        let bucket = DashboardActivity.spendBucket
        let count = Int(DashboardActivity.spendHistory / bucket)
        let last = (now.timeIntervalSince1970 / bucket).rounded(.down) * bucket
        var amounts = [Int64](repeating: 0, count: count)
        for entry in spend {
            let index = count - 1 - Int(((last - entry.start.timeIntervalSince1970) / bucket).rounded())
            if amounts.indices.contains(index) { amounts[index] += entry.microUSD }
        }
        let peak = max(amounts.max() ?? 0, 1)
        return amounts.enumerated().map { index, amount in
            let height = amount > 0 ? max(1, Double(amount) / Double(peak) * 28) : 0
            return ["x": index * 4, "y": 30 - height, "h": height, "title": DashboardFormat.usd(amount)]
        }
    }
}
