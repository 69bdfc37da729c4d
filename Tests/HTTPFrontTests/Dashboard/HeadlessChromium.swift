import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Testing

/// Headless Chromium driven over the Chrome DevTools Protocol (its websocket): navigate, run
/// JavaScript in the page, wait for page loads. The browser runs in its own profile directory
/// and is killed when the session ends.
final class HeadlessChromium: Sendable {
    let process: Process
    let profile: TemporaryDirectory
    let port: Int

    /// The binary: `$CHROMIUM`, else Debian's `chromium`.
    static var binary: String? {
        let candidates = [ProcessInfo.processInfo.environment["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts the browser; fails the test (not skip) when Chromium is not installed.
    static func launch() async throws -> HeadlessChromium {
        guard let binary else {
            Issue.record("chromium is not installed (apt-get install chromium; .ci/run installs it)")
            throw CancellationError()
        }
        let profile = TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--remote-debugging-address=127.0.0.1", "--remote-allow-origins=*", "--remote-debugging-port=0", "--user-data-dir=\(profile.path)",
                             "--window-size=1280,900", "about:blank"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Chromium writes its chosen port into the profile once it listens.
        let portFile = profile.path + "/DevToolsActivePort"
        for _ in 0..<300 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let line = text.split(separator: "\n").first,
               let port = Int(line) {
                return HeadlessChromium(process: process, profile: profile, port: port)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        Issue.record("chromium did not open its DevTools port")
        throw CancellationError()
    }

    private init(process: Process, profile: TemporaryDirectory, port: Int) {
        self.process = process
        self.profile = profile
        self.port = port
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// Runs `body` with a DevTools session on the browser's first page.
    func withPage<Value: Sendable>(_ body: @escaping @Sendable (DevToolsPage) async throws -> Value) async throws -> Value {
        let list = try await HTTPClient.shared.get(url: "http://127.0.0.1:\(port)/json/list", deadline: .now() + .seconds(30)).get()
        let targets = try JSONSerialization.jsonObject(with: Data(buffer: list.body ?? ByteBuffer())) as? [[String: Any]] ?? []
        let url = try #require(targets.first { $0["type"] as? String == "page" }?["webSocketDebuggerUrl"] as? String)
        let result = ResultBox<Value>()
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 24), logger: Logger(label: "cdp")) { inbound, outbound, _ in
            let page = DevToolsPage(outbound: outbound)
            // Not a child task: the handler returns after the body, which closes the socket and ends this loop.
            let reader = Task {
                do {
                    for try await message in inbound.messages(maxSize: 1 << 26) {
                        if case .text(let text) = message { await page.receive(text) }
                    }
                    await page.close(DevToolsError(message: "the browser closed the DevTools socket"))
                } catch {
                    await page.close(error)
                }
            }
            defer { reader.cancel() }
            _ = try await page.call("Page.enable")
            _ = try await page.call("Runtime.enable")
            result.set(try await body(page))
        }
        return try #require(result.value)
    }
}

/// Hands a value out of the websocket's handler.
final class ResultBox<Value: Sendable>: @unchecked Sendable {
    // @unchecked: written once by the handler before `connect` returns, read after.
    private(set) var value: Value?
    func set(_ value: Value) { self.value = value }
}

/// One page's DevTools session: commands with their answers, and page-load events. Every wait
/// ends: with its answer, or failing with what it waited for when the socket closes or the test's
/// task is cancelled (its time limit), so a browser that stops answering fails the test instead
/// of hanging the run.
actor DevToolsPage {
    private struct Waiter {
        var what: String
        /// A page load waits for the load count to pass this; a command waits for its answer.
        var loadAfter: Int?
        var continuation: CheckedContinuation<Data, any Error>
    }

    private let outbound: WebSocketOutboundWriter
    private var nextID = 0
    private var waiters: [Int: Waiter] = [:]
    private var loads = 0
    private var closed: (any Error)?

    init(outbound: WebSocketOutboundWriter) {
        self.outbound = outbound
    }

    func receive(_ text: String) {
        if ProcessInfo.processInfo.environment["CDP_DEBUG"] != nil { FileHandle.standardError.write(Data(("<- " + text.prefix(2000) + "\n").utf8)) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return }
        if let id = object["id"] as? Int, let waiter = waiters.removeValue(forKey: id) {
            if let error = object["error"] {
                waiter.continuation.resume(throwing: DevToolsError(message: "\(waiter.what): \(error)"))
            } else {
                waiter.continuation.resume(returning: (try? JSONSerialization.data(withJSONObject: object["result"] ?? [:])) ?? Data())
            }
        } else if object["method"] as? String == "Page.loadEventFired" {
            loads += 1
            for (id, waiter) in waiters where waiter.loadAfter.map({ $0 < loads }) == true {
                waiters[id] = nil
                waiter.continuation.resume(returning: Data())
            }
        }
    }

    /// The socket ended: every wait fails.
    func close(_ error: any Error) {
        closed = closed ?? error
        let ended = waiters.values
        waiters = [:]
        for waiter in ended { waiter.continuation.resume(throwing: DevToolsError(message: "\(waiter.what): \(error)")) }
    }

    private func cancel(_ id: Int) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(throwing: DevToolsError(message: "\(waiter.what): cancelled while waiting (the test's time limit)"))
    }

    /// Waits for `what`: a command's answer (`message(id)` is sent) or a page load after `loadAfter`.
    private func wait(for what: String, loadAfter: Int? = nil, message: ((Int) -> String)? = nil) async throws -> Data {
        nextID += 1
        let id = nextID
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if let closed { return continuation.resume(throwing: DevToolsError(message: "\(what): \(closed)")) }
                if Task.isCancelled { return continuation.resume(throwing: DevToolsError(message: "\(what): cancelled")) }
                waiters[id] = Waiter(what: what, loadAfter: loadAfter, continuation: continuation)
                if let text = message?(id) {
                    if ProcessInfo.processInfo.environment["CDP_DEBUG"] != nil { FileHandle.standardError.write(Data(("-> " + text.prefix(200) + "\n").utf8)) }
                    Task { try? await outbound.writeTextMessage(text) }
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Sends a command (`params` as JSON text) and returns its `result` as JSON.
    func call(_ method: String, _ params: String = "{}") async throws -> Data {
        try await wait(for: "\(method) \(params.prefix(120))") { id in #"{"id":\#(id),"method":"\#(method)","params":\#(params)}"# }
    }

    /// Runs `action`, then waits for the page load it causes.
    func loading(_ action: () async throws -> Void) async throws {
        let before = loads
        try await action()
        if loads > before { return }
        _ = try await wait(for: "a page load", loadAfter: before)
    }

    func navigate(_ url: String) async throws {
        try await loading { _ = try await call("Page.navigate", #"{"url":"\#(url)"}"#) }
    }

    /// The value of a JavaScript expression (strings, numbers, booleans).
    func evaluate(_ expression: String) async throws -> String {
        let escaped = String(decoding: try JSONSerialization.data(withJSONObject: [expression], options: [.fragmentsAllowed]), as: UTF8.self)
        let data = try await call("Runtime.evaluate", #"{"expression":\#(escaped.dropFirst().dropLast()),"returnByValue":true}"#)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let value = (object?["result"] as? [String: Any])?["value"]
        return value.map { "\($0)" } ?? ""
    }

    /// The page's visible text.
    func text() async throws -> String { try await evaluate("document.body.innerText") }
}

struct DevToolsError: Error, CustomStringConvertible {
    var message: String
    var description: String { "DevTools: \(message)" }
}
