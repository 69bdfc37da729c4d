public import Foundation

/// Names a wallet: a tenant's team wallet, or one of its users' wallets (owner = the token's
/// `sub`). Written `team` or `user:<sub>`, as the API does.
public struct WalletKey: Hashable, Sendable, CustomStringConvertible {
    public let tenant: String
    /// `team` or `user:<sub>`.
    public let owner: String

    public static func team(_ tenant: String) -> WalletKey { WalletKey(tenant: tenant, owner: "team") }
    public static func user(_ tenant: String, _ subject: String) -> WalletKey { WalletKey(tenant: tenant, owner: "user:" + subject) }

    /// The write group of the changes to this wallet (`Backend.write(grouping:_:)`).
    public var writeGroup: String { "wallet \(tenant) \(owner)" }

    private init(tenant: String, owner: String) {
        self.tenant = tenant
        self.owner = owner
    }

    /// Parses `team` or `user:<sub>` for a tenant; refuses anything else.
    public init(tenant: String, parsing text: String) throws(WalletError) {
        guard !tenant.isEmpty, tenant.utf8.count <= 200 else { throw WalletError(.invalidRequest, "a tenant id of 1 to 200 bytes is required") }
        if text == "team" {
            self = .team(tenant)
        } else if text.hasPrefix("user:"), text.utf8.count > 5, text.utf8.count <= 260 {
            self = .user(tenant, String(text.dropFirst(5)))
        } else {
            throw WalletError(.invalidRequest, "wallet must be \"team\" or \"user:<sub>\", not '\(text.prefix(40))'")
        }
    }

    public var description: String { "\(tenant)/\(owner)" }
}

/// A wallet's figures: `balance` is the money it holds, `reserved` the part promised to
/// operations in progress, `available` what a new reservation may take.
public struct WalletBalance: Sendable, Equatable {
    public let id: Int64
    public let key: WalletKey
    public let balance: MicroUSD
    public let reserved: MicroUSD
    public var available: MicroUSD { balance - reserved }
}

/// One append-only ledger line. `balanceDelta` and `reservedDelta` are what it did to the
/// wallet: the wallet's balance and reserved amount are always the sums of its lines.
public struct LedgerEntry: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case credit, reserve, settle, release, refund, adjustment
        /// Part of a held reservation charged while it stays held (a batch item's cost).
        case charge
    }

    public let id: Int64
    public let walletID: Int64
    public let kind: Kind
    /// The line's own amount: what was credited, reserved, charged, released, refunded or
    /// adjusted (negative only for a downward adjustment).
    public let amount: MicroUSD
    public let balanceDelta: MicroUSD
    public let reservedDelta: MicroUSD
    public let reservationID: Int64?
    /// The caller's reference: a job id, a payment id, a request id.
    public let reference: String?
    /// Free text: a reason, or the cost a settlement could not charge.
    public let detail: String?
    public let createdAt: Date
}

/// Money set aside on a wallet for one operation until it is settled or released.
public struct Reservation: Sendable, Equatable {
    public enum State: String, Sendable {
        case held, settled, released
    }

    public let id: Int64
    public let wallet: WalletKey
    public let walletID: Int64
    public let reference: String
    public let jobID: JobID?
    public let amount: MicroUSD
    public let state: State
    /// What was charged (at most `amount`): by a settlement, and by charges while it was held;
    /// and what could not be charged. A held reservation still holds `amount − charged`.
    public let charged: MicroUSD
    public let uncharged: MicroUSD

    func adding(charged more: Int64, uncharged moreUncharged: Int64) -> Reservation {
        Reservation(id: id, wallet: wallet, walletID: walletID, reference: reference, jobID: jobID, amount: amount, state: state,
                    charged: charged + MicroUSD(more), uncharged: uncharged + MicroUSD(moreUncharged))
    }
}

/// Why a wallet operation was refused. `code` is stable (the HTTP front maps it to a status).
public struct WalletError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes; new ones may be added (switch with a `default`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        /// Available balance (balance − reserved) does not cover the amount.
        public static let insufficientCredits = Code("insufficient_credits")
        /// The operation's worst-case cost is above the caller's ceiling.
        public static let budgetExceeded = Code("budget_exceeded")
        public static let invalidRequest = Code("invalid_request")
        public static let notFound = Code("not_found")
        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
