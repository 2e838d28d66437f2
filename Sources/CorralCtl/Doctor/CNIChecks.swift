import Foundation

/// The network configuration corrald hands to CNI, and the plugins it needs.
struct CNIHost: Equatable, Sendable {
    var confDir: String
    /// The first config file by name, as corrald and the shim pick it, with its text.
    var firstConfig: (name: String, text: String)?
    var binDirs: [String]
    /// Executables in each bin dir.
    var executables: [String: Set<String>]

    static func == (a: CNIHost, b: CNIHost) -> Bool {
        a.confDir == b.confDir && a.firstConfig?.name == b.firstConfig?.name && a.firstConfig?.text == b.firstConfig?.text
            && a.binDirs == b.binDirs && a.executables == b.executables
    }

    static func isConfigName(_ name: String) -> Bool {
        name.hasSuffix(".conflist") || name.hasSuffix(".conf") || name.hasSuffix(".json")
    }

    /// The network's name and the plugin types it chains: a .conflist's `plugins`, or a single .conf.
    static func plugins(inConfig text: String) -> (network: String, types: [String])? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return nil }
        let network = object["name"] as? String ?? ""
        if let plugins = object["plugins"] as? [[String: Any]] {
            let types = plugins.compactMap { $0["type"] as? String }
            return types.count == plugins.count && !types.isEmpty ? (network, types) : nil
        }
        return (object["type"] as? String).map { (network, [$0]) }
    }
}

enum CNIChecks {
    static func network(_ host: CNIHost) -> DoctorCheck {
        guard let config = host.firstConfig else {
            return .warn("cni", "no network config in \(host.confDir): corrald reports NetworkReady=false and only host-network pods start (a network add-on usually writes one after the node joins)",
                         fix: "install the cluster's network add-on, or write a bridge .conflist to \(host.confDir)")
        }
        let path = host.confDir + "/" + config.name
        guard let (network, types) = CNIHost.plugins(inConfig: config.text) else {
            return .fail("cni", "\(path) is not a CNI config (JSON with a \"type\", or \"plugins\" each with one): no pod network",
                         fix: "fix or remove \(path)")
        }
        var found: [String: String] = [:]
        for type in types {
            found[type] = host.binDirs.first { host.executables[$0]?.contains(type) == true }
        }
        let missing = types.filter { found[$0] == nil }
        if !missing.isEmpty {
            return .fail("cni", "\(path) needs plugins not in \(host.binDirs.joined(separator: ", ")): \(missing.joined(separator: ", "))",
                         fix: "apt-get install containernetworking-plugins, or add the dir holding them to cni.bin_dirs")
        }
        let dirs = Set(found.values).sorted().joined(separator: ", ")
        return .ok("cni", "\(path) (network \(network)): plugins \(types.joined(separator: ", ")) found in \(dirs)")
    }
}
