import Foundation
import Runtime
import Synchronization

/// The dashboard's signed-in sessions, kept in memory on the server (a restart signs everyone
/// out). A session id and its CSRF token are 256 random bits each; a session ends at sign-out
/// or `lifetime` after sign-in, on the runtime's clock.
final class DashboardSessions: Sendable {
    struct Session: Sendable, Equatable {
        let id: String
        /// The token every form of this session carries.
        let csrf: String
        let expiresAt: Date
    }

    let lifetime: Duration
    /// Sessions kept at most; signing in past it drops the oldest.
    let capacity: Int
    private let clock: any WallClock
    private let sessions = Mutex<[String: Session]>([:])

    init(clock: any WallClock, lifetime: Duration = .seconds(12 * 3_600), capacity: Int = 1_000) {
        self.clock = clock
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Starts a session.
    func create() -> Session {
        let now = clock.now()
        let session = Session(id: Self.randomToken(), csrf: Self.randomToken(), expiresAt: now.addingTimeInterval(lifetime.timeInterval))
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expiresAt > now }
            if sessions.count >= capacity, let oldest = sessions.values.min(by: { $0.expiresAt < $1.expiresAt }) {
                sessions[oldest.id] = nil
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session with this id, or nil (unknown, signed out or expired).
    func session(_ id: String?) -> Session? {
        guard let id, !id.isEmpty else { return nil }
        let now = clock.now()
        return sessions.withLock { sessions in
            guard let found = sessions[id] else { return nil }
            guard found.expiresAt > now else {
                sessions[id] = nil
                return nil
            }
            return found
        }
    }

    /// Ends a session (sign-out).
    func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// 32 random bytes (the system's CSPRNG), base64url without padding.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
