import ArgumentParser
import Foundation
import HTTPFront
@testable import switchboard
import Testing

@Suite("command line")
struct CommandLineTests {
    @Test("switchboard --version prints the version constant")
    func version() throws {
        #expect(Switchboard.configuration.version == SwitchboardVersion.current)
        do {
            _ = try Switchboard.parseAsRoot(["--version"])
            Issue.record("--version did not exit")
        } catch {
            #expect(Switchboard.fullMessage(for: error) == SwitchboardVersion.current)
        }
    }

    @Test("the banner's token command names an executable that runs from here", arguments: [
        ("/work/app/.build/debug/switchboard", "/usr/bin:/bin", "/work/app/.build/debug/switchboard"),
        (".build/debug/switchboard", "/usr/bin:/bin", "/work/app/.build/debug/switchboard"),
        ("/usr/local/bin/switchboard", "/usr/bin:/usr/local/bin", "switchboard"),
        ("switchboard", "/usr/local/bin", "switchboard"),
    ])
    func invocation(executable: String, path: String, expected: String) {
        #expect(InvocationHint.command(executable: executable, path: path, currentDirectory: "/work/app") == expected)
    }

    @Test("the development banner suggests the token command with the executable's working path")
    func banner() throws {
        let settings = try ServeSettings(try ServeOptions.parse([]), environment: [:])
        let lines = Serve.banner(settings, port: 8080, internalKey: ("k", false), executable: "/work/app/.build/debug/switchboard")
        #expect(lines.first?.hasPrefix("switchboard listening on http://127.0.0.1:8080") == true)
        #expect(lines.contains { $0.contains("mint a token with: /work/app/.build/debug/switchboard token --data-dir") })
    }
}
