import CorralJSON

extension CNIPluginConfig {
    /// The configuration a plugin reads on stdin, built as libcni's buildOneConfig does: the
    /// list's name and version (so every plugin agrees), the previous result, and
    /// `runtimeConfig` with only the capability arguments this plugin declared.
    func input(network: CNINetworkList, prevResult: JSONValue?, capabilityArguments: JSONObject) -> JSONValue {
        var config = json
        config["name"] = .string(network.name)
        config["cniVersion"] = .string(network.cniVersion)
        if let prevResult { config["prevResult"] = prevResult }
        var runtimeConfig = JSONObject()
        for (capability, argument) in capabilityArguments where capabilities.contains(capability) {
            runtimeConfig[capability] = argument
        }
        if !runtimeConfig.isEmpty { config["runtimeConfig"] = .object(runtimeConfig) }
        return config
    }
}
