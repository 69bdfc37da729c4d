import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the lease owner names that `RuntimeConfiguration.defaultOwner()` makes
/// (`host:pid:random`) to tell whether the process behind one still runs.
enum LeaseOwner {
    /// False only when `owner` is certainly dead: a process of this host whose pid no longer
    /// runs, or whose pid is this process's own under another name (a restart that got the same
    /// pid, as in a container). Names of other hosts, or of another form, count as alive.
    static func isAlive(_ owner: String, me: String) -> Bool {
        if owner == me { return true }
        let parts = owner.split(separator: ":")
        guard parts.count == 3, parts[0] == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]), pid > 0 else {
            return true
        }
        if pid == ProcessInfo.processInfo.processIdentifier { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
