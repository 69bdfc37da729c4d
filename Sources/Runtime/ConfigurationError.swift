/// A configuration section that cannot work, saying which setting (by its path in the config
/// file, e.g. `llm.providers[1].baseUrl`) and why. `serve` prints it and exits before opening
/// anything.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
