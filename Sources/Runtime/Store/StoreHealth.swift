public import Foundation
import Logging
import Synchronization

/// What the store has seen of its file since it opened, for health checks: a damaged page
/// (sticky until the process restarts on a repaired file) or writes being refused (disk full,
/// read-only, I/O error; cleared by the next write that commits). Every read and write reports
/// its errors here; the first sighting of each problem is logged once with what to do.
public final class StoreHealth: Sendable {
    /// A problem with the database file, with a stable code for health responses.
    public struct Problem: Sendable, Equatable {
        /// The stable code: `storage_corrupt`, `storage_full`, `storage_read_only` or `storage_io_error`.
        public let code: String
        /// What was seen and what to do, naming the file.
        public let message: String
        /// When it was first seen.
        public let since: Date

        /// A damaged file: the server must not be trusted with it (health answers 503).
        public var isCorrupt: Bool { code == Self.corrupt }

        public static let corrupt = "storage_corrupt"
        public static let full = "storage_full"
        public static let readOnly = "storage_read_only"
        public static let ioError = "storage_io_error"
    }

    private struct State {
        var corrupt: Problem?
        var writes: Problem?
        /// The writer's count of changing commits when writes were last refused.
        var refusedAt = 0
    }

    /// The database file, or the PostgreSQL URL without its password.
    public let path: String
    private let logger: Logger?
    private let state = Mutex(State())

    init(path: String, logger: Logger?) {
        self.path = path
        self.logger = logger
    }

    /// The worst problem seen: corruption first, then refused writes; nil when healthy.
    public var problem: Problem? { state.withLock { $0.corrupt ?? $0.writes } }

    /// Notes an error a store call ended with; errors that say nothing about the file are ignored.
    public func record(_ error: any Error) { record(error, changingCommits: Int.max) }

    /// `record`, for a write refused when the writer had made `changingCommits` changing commits.
    func record(_ error: any Error, changingCommits: Int) {
        guard let error = error as? StoreError else { return }
        let now = Date()
        let logged: Problem? = state.withLock { state in
            switch error.kind {
            case .corrupt:
                guard state.corrupt == nil else { return nil }
                let problem = Problem(code: Problem.corrupt, message: """
                    the database file \(path) is damaged (\(error.message)): stop the server, run `switchboard check --data-dir \
                    \(directory)` to see what is wrong, then restore the file from a backup (`switchboard backup` makes one) or move it aside
                    """, since: now)
                state.corrupt = problem
                return problem
            case .diskFull, .readOnly, .other:
                guard error.kind != .other || Self.isIOError(error) else { return nil }
                let code = error.kind == .diskFull ? Problem.full : error.kind == .readOnly ? Problem.readOnly : Problem.ioError
                state.refusedAt = max(state.refusedAt, changingCommits == Int.max ? state.refusedAt : changingCommits)
                guard state.writes?.code != code else { return nil }
                let cause = code == Problem.full ? "the disk holding \(path) is full; free space"
                    : code == Problem.readOnly ? "\(path) cannot be written; check the file's and directory's permissions and the mount"
                    : "the disk holding \(path) reports I/O errors; check it"
                let problem = Problem(code: code, message: "writes are refused: \(cause) (\(error.message))", since: now)
                state.writes = problem
                return problem
            default:
                return nil
            }
        }
        guard let logged, let logger else { return }
        if logged.isCorrupt {
            logger.critical("\(logged.message)", metadata: ["file": "\(path)", "code": "\(logged.code)"])
        } else {
            logger.error("\(logged.message)", metadata: ["file": "\(path)", "code": "\(logged.code)"])
        }
    }

    /// Notes a write that committed. Writes are accepted again once a commit that changed rows
    /// came after the last refusal (`changingCommits` moved past it): a commit that changed
    /// nothing needs no disk space and proves nothing.
    func writeCommitted(changingCommits: Int) {
        let recovered = state.withLock { state -> Problem? in
            guard let problem = state.writes, changingCommits > state.refusedAt else { return nil }
            state.writes = nil
            return problem
        }
        if let recovered, let logger {
            logger.notice("writes are accepted again", metadata: ["file": "\(path)", "after": "\(recovered.code)"])
        }
    }

    /// Whether a write is refused now (a full disk, a read-only file); reads may still work.
    public var writesRefused: Bool { state.withLock { $0.writes != nil } }

    private var directory: String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    private static func isIOError(_ error: StoreError) -> Bool { error.resultCode & 0xFF == 10 }  // SQLITE_IOERR
}
