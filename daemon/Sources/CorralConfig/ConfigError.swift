/// A configuration the daemon refuses, naming the file and the dotted key at fault, e.g.
/// `config.toml: timeouts.shim_call: "ten" is not a duration`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the text came from: a path, or what the caller called it.
    public var source: String
    /// The dotted key, with quoted parts and array indices (`registry.mirrors."docker.io".endpoints[1]`);
    /// empty when the error is about the whole file (unreadable, not TOML).
    public var key: String
    public var message: String

    public init(source: String, key: String, message: String) {
        self.source = source
        self.key = key
        self.message = message
    }

    public var description: String {
        key.isEmpty ? "\(source): \(message)" : "\(source): \(key): \(message)"
    }
}
