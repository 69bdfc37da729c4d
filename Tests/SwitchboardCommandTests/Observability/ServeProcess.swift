import Foundation

/// `switchboard serve` as a child process (the binary built beside the tests), on port 0 in a
/// fresh data directory; `port` is read from its first stdout line. Nothing blocks a thread of
/// the cooperative pool: output and exit arrive through Foundation's handlers.
final class ServeProcess: @unchecked Sendable {  // `process` is only touched by start/stop, one caller at a time
    let process = Process()
    let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-serve-\(UUID().uuidString)").path
    private let lines: AsyncStream<String>
    private let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-serve-\(UUID().uuidString).log").path
    /// What it wrote to stderr so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    private let exited: AsyncStream<Int32>

    /// The binary next to the test bundle (`.build/<config>/switchboard`).
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("switchboard").path
    }

    init(arguments: [String], environment: [String: String]) {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDir] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        let (lines, lineSink) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let buffer = LineBuffer()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; lineSink.finish(); return }
            for line in buffer.append(data) { lineSink.yield(line) }
        }
        let (exited, exitSink) = AsyncStream.makeStream(of: Int32.self)
        self.exited = exited
        process.terminationHandler = { exitSink.yield($0.terminationStatus); exitSink.finish() }
    }

    /// Starts it and waits for the port its banner names.
    func start() async throws -> Int {
        try process.run()
        for await line in lines {
            if let range = line.range(of: "listening on http://127.0.0.1:") {
                let digits = line[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
        }
        throw CocoaError(.fileReadUnknown)
    }

    /// SIGTERM (a graceful drain), then its exit status.
    func stop() async -> Int32? {
        if process.isRunning { process.terminate() }
        var iterator = exited.makeAsyncIterator()
        let status = await iterator.next()
        try? FileManager.default.removeItem(atPath: dataDir)
        if status == 0 { try? FileManager.default.removeItem(atPath: logPath) }
        return status
    }
}

/// Splits a byte stream into lines.
private final class LineBuffer: @unchecked Sendable {  // used only from the pipe's serial readability handler
    private var pending = Data()

    func append(_ data: Data) -> [String] {
        pending.append(data)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
        return lines
    }
}
