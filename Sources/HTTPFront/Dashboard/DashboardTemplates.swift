import Foundation
import Mustache

/// The dashboard's Mustache templates and static files, read once from the package's resources
/// (`Assets/templates/*.mustache`, `Assets/static/*`). `{{value}}` escapes HTML, so anything a
/// tenant sent (an id, a message body) is shown as text; only `layout`'s `{{{content}}}` takes a
/// page that was itself rendered here.
struct DashboardTemplates: Sendable {
    private let library: MustacheLibrary
    /// Static files by name: their bytes and content type.
    let assets: [String: (bytes: [UInt8], contentType: String)]

    static let templateNames = ["layout", "sign-in", "overview", "jobs", "job", "batches", "messages", "message", "wallets",
                                "providers", "schedules", "chart"]

    /// Reads the templates; a missing or malformed one is a packaging bug, so it stops the process with its name.
    static func load() -> DashboardTemplates {
        guard let base = Bundle.module.resourceURL?.appendingPathComponent("Assets") else {
            fatalError("the dashboard's resources are missing from the HTTPFront bundle")
        }
        var library = MustacheLibrary()
        for name in templateNames {
            let url = base.appendingPathComponent("templates/\(name).mustache")
            do {
                try library.register(String(contentsOf: url, encoding: .utf8), named: name)
            } catch {
                fatalError("the dashboard template \(name).mustache cannot be used: \(error)")
            }
        }
        var assets: [String: (bytes: [UInt8], contentType: String)] = [:]
        for (name, type) in [("dashboard.js", "text/javascript; charset=utf-8"), ("dashboard.css", "text/css; charset=utf-8")] {
            guard let data = FileManager.default.contents(atPath: base.appendingPathComponent("static/\(name)").path) else {
                fatalError("the dashboard asset \(name) is missing")
            }
            assets[name] = (Array(data), type)
        }
        return DashboardTemplates(library: library, assets: assets)
    }

    /// `template` rendered with `values`.
    func render(_ template: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: template) ?? ""
    }
}
