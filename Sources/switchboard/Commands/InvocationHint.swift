import Foundation

/// How to run `switchboard` again from the shell that started this process: `switchboard` when
/// the running executable is the one found on `PATH`, else its absolute path (after `swift run`,
/// `.build/debug/switchboard`, which is not on `PATH`). The start-up banner uses it, so the
/// `token` command it suggests works as printed.
enum InvocationHint {
    static func command(executable: String = CommandLine.arguments.first ?? "switchboard",
                        path: String? = ProcessInfo.processInfo.environment["PATH"],
                        currentDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        let absolute = executable.hasPrefix("/") ? executable : (currentDirectory as NSString).appendingPathComponent(executable)
        let resolved = URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
        if !executable.contains("/") { return executable }
        let name = (resolved as NSString).lastPathComponent
        for directory in (path ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name).standardizedFileURL.resolvingSymlinksInPath().path
            if candidate == resolved { return name }
        }
        return resolved
    }
}
