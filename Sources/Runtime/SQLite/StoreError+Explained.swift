import CSQLite
import Foundation

extension StoreError {
    /// The error an operator sees when the database cannot be opened: the cause first, with
    /// the path and what to do, SQLite's own words in parentheses and no SQL statement (a
    /// read-only directory shows up as a failing `PRAGMA journal_mode`, which explains nothing).
    /// `isWritable` asks whether a path may be written (`access(2)`; injectable for tests, since
    /// root may write where permissions say it may not).
    func explained(path: String, isWritable: (String) -> Bool = { access($0, W_OK) == 0 }) -> StoreError {
        guard !path.hasPrefix("file:"), path != ":memory:" else { return self }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let exists = FileManager.default.fileExists(atPath: path)
        let advice: String
        switch kind {
        case .readOnly, .cannotOpen:
            if !isWritable(directory) {
                advice = "the data directory is read-only: \(directory) (SQLite writes the database and its -wal and -shm files there); "
                    + "make it writable by the server's user or choose another --data-dir"
            } else if exists && !isWritable(path) {
                advice = "the database file is read-only: \(path); make it writable by the server's user"
            } else if kind == .readOnly {
                advice = "the database at \(path) cannot be written; check the file's and directory's permissions and whether the disk is mounted read-only"
            } else {
                advice = "cannot open the database at \(path); check that the path is a file the server's user can read and write"
            }
        case .corrupt:
            advice = "the file at \(path) is not a SQLite database or is damaged; run `switchboard check --data-dir \(directory)` to see "
                + "what is wrong, then restore it from a backup or move it aside"
        case .diskFull: advice = "the disk holding \(path) is full; free space and start again"
        case .busy: advice = "another process holds a lock on \(path)"
        default: return self
        }
        return StoreError(kind: kind, resultCode: resultCode, message: "\(advice) (\(message))", sql: nil)
    }
}
