/// The version `switchboard --version` prints (also in the start-up banner). Raise it with each
/// release; it is the only place the version lives.
enum SwitchboardVersion {
    static let current = "0.9.0"
}
