import CorralJSON

/// What ADD produced: the pod's addresses and interfaces, and the plugin's JSON as written so
/// the shim can persist it and hand it back to DEL and CHECK as `prevResult`.
public struct CNIResult: Sendable, Equatable {
    public struct IP: Sendable, Equatable {
        /// The address without its prefix length, e.g. "10.213.7.2".
        public var address: String
        public var prefixLength: Int
        public var gateway: String?
        /// Index into `interfaces`.
        public var interface: Int?

        public init(address: String, prefixLength: Int, gateway: String? = nil, interface: Int? = nil) {
            self.address = address
            self.prefixLength = prefixLength
            self.gateway = gateway
            self.interface = interface
        }

        /// "10.213.7.2/24"
        public var cidr: String { "\(address)/\(prefixLength)" }
        public var isIPv6: Bool { address.contains(":") }
    }

    public struct Interface: Sendable, Equatable {
        public var name: String
        public var mac: String?
        /// The netns path for interfaces inside the pod; nil for host-side ones (bridge, veth peer).
        public var sandbox: String?

        public init(name: String, mac: String? = nil, sandbox: String? = nil) {
            self.name = name
            self.mac = mac
            self.sandbox = sandbox
        }
    }

    public var cniVersion: String
    public var ips: [IP]
    public var interfaces: [Interface]
    public var raw: JSONValue

    /// Reads results of every spec version leniently: `ips[]` of 0.3.0 through 1.x (ignoring
    /// 0.3's per-address `version`), and the `ip4`/`ip6` objects of 0.1/0.2.
    public init(json: JSONValue) throws(CNIError) {
        guard json.object != nil else { throw CNIError(.invalidResult, "CNI result is not an object: \(json)") }
        raw = json
        cniVersion = json["cniVersion"]?.string ?? ""
        interfaces = (json["interfaces"]?.array ?? []).compactMap { entry in
            entry["name"]?.string.map {
                Interface(name: $0, mac: entry["mac"]?.string, sandbox: entry["sandbox"]?.string.flatMap { $0.isEmpty ? nil : $0 })
            }
        }
        var ips: [IP] = []
        for entry in json["ips"]?.array ?? [] {
            guard let ip = IP(cidr: entry["address"]?.string, gateway: entry["gateway"]?.string) else {
                throw CNIError(.invalidResult, "CNI result has an invalid address: \(entry)")
            }
            ips.append(IP(address: ip.address, prefixLength: ip.prefixLength, gateway: ip.gateway,
                          interface: entry["interface"]?.int))
        }
        for legacy in ["ip4", "ip6"] {
            guard let entry = json[legacy], entry.object != nil else { continue }
            guard let ip = IP(cidr: entry["ip"]?.string, gateway: entry["gateway"]?.string) else {
                throw CNIError(.invalidResult, "CNI result has an invalid \(legacy) address: \(entry)")
            }
            ips.append(ip)
        }
        self.ips = ips
    }

    public init(parsing bytes: [UInt8]) throws(CNIError) {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw CNIError(.invalidResult, "CNI result: \(error)")
        }
        try self.init(json: json)
    }

    /// The result as the plugin wrote it, for persisting.
    public var bytes: [UInt8] { raw.serializedBytes() }

    /// The pod's own addresses: those on an interface inside the sandbox, or all of them when
    /// the plugin did not say which interface holds them.
    public var podIPs: [IP] {
        ips.filter { ip in
            guard let index = ip.interface, interfaces.indices.contains(index) else { return true }
            return interfaces[index].sandbox != nil
        }
    }
}

extension CNIResult.IP {
    init?(cidr: String?, gateway: String?) {
        guard let cidr, let slash = cidr.lastIndex(of: "/"),
              let prefix = Int(cidr[cidr.index(after: slash)...]), prefix >= 0, prefix <= 128 else { return nil }
        let address = String(cidr[..<slash])
        guard !address.isEmpty else { return nil }
        self.init(address: address, prefixLength: prefix, gateway: gateway.flatMap { $0.isEmpty ? nil : $0 })
    }
}
