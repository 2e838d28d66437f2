/// A CNI failure. When a plugin failed, `message` and `details` are the plugin's own words
/// (its `{"code","msg","details"}` error on stdout), so the pod's failure tells the operator
/// what the plugin saw rather than what we did.
public struct CNIError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No usable network configuration, or a request the plugins would refuse.
        case configuration
        case pluginNotFound
        /// The plugin ran and exited non-zero.
        case pluginFailed
        /// The plugin exited zero but printed something that is not a CNI result.
        case invalidResult
        /// The plugin could not be started.
        case system
        /// The plugin ran past the time it is allowed and was killed.
        case timedOut
    }

    public var kind: Kind
    public var message: String
    public var details: String
    /// The CNI error code the plugin reported (spec section "Error"), when it reported one.
    public var code: Int?
    /// The plugin's `type` and the CNI command, when a plugin was involved.
    public var plugin: String?
    public var command: String?
    /// Set when undoing a failed ADD failed too, so partial state may remain.
    public var cleanupFailure: String?

    public init(_ kind: Kind, _ message: String, details: String = "", code: Int? = nil,
                plugin: String? = nil, command: String? = nil) {
        self.kind = kind
        self.message = message
        self.details = details
        self.code = code
        self.plugin = plugin
        self.command = command
    }

    public var description: String {
        var text = ""
        if let plugin {
            text += "plugin type=\"\(plugin)\""
            if let command { text += " failed (\(command.lowercased()))" }
            text += ": "
        }
        text += message
        if !details.isEmpty { text += "; " + details }
        if let cleanupFailure { text += " (cleanup failed too: \(cleanupFailure))" }
        return text
    }
}
