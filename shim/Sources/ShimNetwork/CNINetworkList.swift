import CorralJSON

/// One plugin of a network list: its type, the capabilities it asks the runtime for, and its
/// configuration as written (handed back to it with the list's name and version injected).
public struct CNIPluginConfig: Sendable, Equatable {
    public var type: String
    public var capabilities: Set<String>
    public var json: JSONValue

    public init(json: JSONValue) throws(CNIError) {
        guard json.object != nil else { throw CNIError(.configuration, "plugin configuration is not an object") }
        guard let type = json["type"]?.string, !type.isEmpty else {
            throw CNIError(.configuration, "plugin configuration has no 'type'")
        }
        self.type = type
        self.json = json
        var enabled = Set<String>()
        for (name, flag) in json["capabilities"]?.object ?? [:] where flag.bool == true { enabled.insert(name) }
        capabilities = enabled
    }
}

/// A network configuration list (a .conflist), the unit containerd's CRI attaches a pod to.
public struct CNINetworkList: Sendable, Equatable {
    public var name: String
    public var cniVersion: String
    public var disableCheck: Bool
    public var plugins: [CNIPluginConfig]
    /// The file it was read from, for messages.
    public var source: String?

    public init(name: String, cniVersion: String, disableCheck: Bool = false, plugins: [CNIPluginConfig],
                source: String? = nil) {
        self.name = name
        self.cniVersion = cniVersion
        self.disableCheck = disableCheck
        self.plugins = plugins
        self.source = source
    }

    /// Reads a list as libcni does: `name` required, `cniVersion` optional, `disableCheck` a
    /// boolean or the strings "true"/"false", at least one plugin.
    public init(json: JSONValue, source: String? = nil) throws(CNIError) {
        let origin = source.map { " in \($0)" } ?? ""
        guard json.object != nil else { throw CNIError(.configuration, "network configuration list\(origin) is not an object") }
        guard let name = json["name"]?.string else { throw CNIError(.configuration, "network configuration list\(origin) has no name") }
        guard let plugins = json["plugins"]?.array, !plugins.isEmpty else {
            throw CNIError(.configuration, "network configuration list\(origin) has no plugins")
        }
        var disableCheck = false
        switch json["disableCheck"] {
        case nil, .null?: break
        case .bool(let flag)?: disableCheck = flag
        case .string(let text)? where ["true", "false"].contains(text.lowercased()): disableCheck = text.lowercased() == "true"
        default: throw CNIError(.configuration, "network configuration list\(origin) has an invalid disableCheck")
        }
        var configs: [CNIPluginConfig] = []
        for (index, plugin) in plugins.enumerated() {
            do {
                configs.append(try CNIPluginConfig(json: plugin))
            } catch {
                throw CNIError(.configuration, "plugin \(index) of network \"\(name)\"\(origin): \(error.message)")
            }
        }
        self.init(name: name, cniVersion: json["cniVersion"]?.string ?? "", disableCheck: disableCheck,
                  plugins: configs, source: source)
    }

    /// A single-plugin .conf file, wrapped as a list of one the way libcni's ConfListFromConf does.
    public init(singlePlugin json: JSONValue, source: String? = nil) throws(CNIError) {
        let origin = source.map { " in \($0)" } ?? ""
        let plugin: CNIPluginConfig
        do {
            plugin = try CNIPluginConfig(json: json)
        } catch {
            throw CNIError(.configuration, "network configuration\(origin): \(error.message)")
        }
        guard let name = json["name"]?.string else { throw CNIError(.configuration, "network configuration\(origin) has no name") }
        self.init(name: name, cniVersion: json["cniVersion"]?.string ?? "", plugins: [plugin], source: source)
    }

    /// The list as a conflist document, for a shim that persists what it attached with so DEL
    /// runs the same plugins even if the conf dir changed since.
    public var json: JSONValue {
        var members: JSONObject = ["cniVersion": .string(cniVersion), "name": .string(name)]
        if disableCheck { members["disableCheck"] = true }
        members["plugins"] = .array(plugins.map(\.json))
        return .object(members)
    }

    /// What go-cni attaches first so that every pod has a working `lo`.
    public static let loopback = CNINetworkList(
        name: "cni-loopback", cniVersion: "0.3.1",
        plugins: [try! CNIPluginConfig(json: ["type": "loopback"])])
}
