import Foundation

/// `switchboard serve` as a child process (the binary built beside the tests), on port 0 in a
/// fresh data directory; `port` is read from its banner. Its output goes to files, read by a
/// bounded poll: no pipe and no readability handler (a dispatch read source on a pipe that is
/// closed when the process object goes away crashed the test process's dispatch manager once).
final class ServeProcess: @unchecked Sendable {  // `process` is only touched by start/stop, one caller at a time
    let process = Process()
    let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-serve-\(UUID().uuidString)").path
    private let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-serve-\(UUID().uuidString).out").path
    private let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-serve-\(UUID().uuidString).log").path
    /// What it wrote to stderr so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The binary next to the test bundle (`.build/<config>/switchboard`).
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("switchboard").path
    }

    init(arguments: [String], environment: [String: String]) {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDir] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        for path in [outputPath, logPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: logPath)
    }

    /// Starts it and waits (up to 60 s) for the port its banner names.
    func start() async throws -> Int {
        try process.run()
        for _ in 0..<1_200 {
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if let range = output.range(of: "listening on http://127.0.0.1:"),
               let port = Int(output[range.upperBound...].prefix { $0.isNumber }) {
                return port
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CocoaError(.fileReadUnknown)
    }

    /// SIGTERM (a graceful drain), then its exit status (nil if it had not exited after 60 s).
    func stop() async -> Int32? {
        if process.isRunning { process.terminate() }
        for _ in 0..<1_200 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else { return nil }
        let status = process.terminationStatus
        try? FileManager.default.removeItem(atPath: dataDir)
        try? FileManager.default.removeItem(atPath: outputPath)
        if status == 0 { try? FileManager.default.removeItem(atPath: logPath) }
        return status
    }
}
