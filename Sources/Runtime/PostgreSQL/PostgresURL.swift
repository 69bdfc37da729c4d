import Foundation

/// Where a PostgreSQL database is, parsed from `postgres://user[:password]@host[:port]/database`
/// (also `postgresql://`). Query options: `sessions=N` (connections this process keeps, 1–64,
/// default 8); `wakeups=notify|poll` (default notify: instances wake each other with
/// LISTEN/NOTIFY on one more connection; `poll` looks for work every half second instead, for
/// PgBouncer in transaction mode, where LISTEN does not work); `sslmode=disable|prefer|require|
/// verify-ca|verify-full` as libpq reads it (default prefer) and `sslrootcert=PATH` (the CA
/// certificates to trust instead of the system's). A malformed URL is refused with what is
/// wrong, before anything connects.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// How many connections (and blocking threads) the backend keeps.
    public var sessions: Int
    /// How instances learn of work another one committed.
    public var wakeups: Wakeups = .notify

    /// Whether the connection is encrypted and what of the server's certificate is checked.
    public var tls: TLSMode = .prefer
    /// A PEM file of CA certificates to trust (`sslrootcert`); nil: the system's.
    public var rootCertificates: String?

    /// libpq's `sslmode` values.
    public enum TLSMode: String, Sendable, Equatable {
        /// No TLS.
        case disable
        /// TLS when the server offers it, plain otherwise; the certificate is not checked.
        case prefer
        /// TLS or no connection; the certificate is not checked (unless `sslrootcert` is given:
        /// then as verify-ca, as libpq does).
        case require
        /// TLS with a certificate signed by a trusted CA, for any host name.
        case verifyCA = "verify-ca"
        /// TLS with a trusted certificate for the URL's host.
        case verifyFull = "verify-full"
    }

    public enum Wakeups: String, Sendable, Equatable {
        /// LISTEN/NOTIFY on a dedicated connection (a look every 5 s besides, in case one was missed).
        case notify
        /// A look every 500 ms, no LISTEN (behind PgBouncer in transaction mode).
        case poll
    }

    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String, sessions: Int = 8) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sessions = sessions
    }

    /// Whether `text` names a PostgreSQL database rather than an SQLite path.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(parsing text: String) throws(ConfigurationError) {
        func refuse(_ why: String) -> ConfigurationError {
            ConfigurationError("database: \(why) (expected postgres://user[:password]@host[:port]/database)")
        }
        guard Self.isPostgres(text), let components = URLComponents(string: text) else { throw refuse("not a PostgreSQL URL") }
        guard let host = components.host, !host.isEmpty else { throw refuse("the URL names no host") }
        guard let user = components.user, !user.isEmpty else { throw refuse("the URL names no user") }
        let database = String(components.path.dropFirst())
        guard !database.isEmpty, !database.contains("/") else { throw refuse("the URL names no database") }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw refuse("port \(port) is out of range") }
        var sessions = 8
        var wakeups = Wakeups.notify
        var tls = TLSMode.prefer
        var rootCertificates: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sessions":
                guard let value = item.value.flatMap(Int.init), (1...64).contains(value) else {
                    throw refuse("sessions must be a whole number from 1 to 64")
                }
                sessions = value
            case "wakeups":
                guard let value = item.value.flatMap(Wakeups.init(rawValue:)) else { throw refuse("wakeups must be notify or poll") }
                wakeups = value
            case "sslmode":
                guard let value = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw refuse("sslmode must be disable, prefer, require, verify-ca or verify-full")
                }
                tls = value
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else { throw refuse("sslrootcert must name a file") }
                rootCertificates = value
            default:
                throw refuse("unknown option '\(item.name)'")
            }
        }
        self.init(host: host, port: port, username: user.removingPercentEncoding ?? user,
                  password: components.password.map { $0.removingPercentEncoding ?? $0 },
                  database: database.removingPercentEncoding ?? database, sessions: sessions)
        self.wakeups = wakeups
        self.tls = tls
        self.rootCertificates = rootCertificates
    }

    /// The URL without its password, for logs and messages.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }
}
