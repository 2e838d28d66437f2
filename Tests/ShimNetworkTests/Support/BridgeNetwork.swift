import CorralJSON
import CorralSystem
import ShimNetwork
import Testing
import TestSupport

/// One test's own network: a named netns, a bridge named for the test, a /24 of 10.213.X.0
/// that no interface on the host uses yet, and host-local IPAM state under a temp dir, so
/// nothing lands in /var/lib/cni and concurrent runs do not meet.
struct BridgeNetwork {
    let tag: String
    let octet: Int
    let directory: TemporaryDirectory

    var netnsName: String { "corral-cni-test-\(tag)" }
    var netnsPath: String { "/run/netns/" + netnsName }
    var bridge: String { "crltst\(tag)" }
    var networkName: String { "corral-test-\(tag)" }
    var subnet: String { "10.213.\(octet).0/24" }
    var subnetPrefix: String { "10.213.\(octet)." }
    var confDirectory: String { directory.path + "/net.d" }
    var ipamDirectory: String { directory.path + "/ipam" }

    static func create() async throws -> BridgeNetwork {
        await sweepAbandoned()
        let tag = String(UInt16.random(in: 0x1000...0xFFFF), radix: 16)
        let addresses = try await Shell.ip("-o", "addr").stdoutText
        var octet = Int.random(in: 0...255)
        while addresses.contains("10.213.\(octet).") { octet = Int.random(in: 0...255) }
        let network = BridgeNetwork(tag: tag, octet: octet, directory: try TemporaryDirectory("cni-\(tag)"))
        try FileSystem.makeDirectories(network.confDirectory, mode: 0o755)
        let added = try await Shell.ip("netns", "add", network.netnsName)
        try #require(added.succeeded, "ip netns add: \(added.stderrText)")
        return network
    }

    /// Tears down what runs killed halfway left: their namespace, bridge, addresses and
    /// portmap rules, found through the temp dirs named after their dead pids.
    private static func sweepAbandoned() async {
        for (path, tag) in TemporaryDirectory.abandoned(label: "cni-") {
            guard tag.count == 4, tag.allSatisfy(\.isHexDigit) else {
                FileSystem.removeTree(path)
                continue
            }
            await BridgeNetwork(tag: tag, octet: 0, directory: TemporaryDirectory(existing: path)).destroy()
        }
    }

    func bridgePlugin(subnet: String? = nil) -> JSONValue {
        ["type": "bridge", "bridge": .string(bridge), "isGateway": true, "ipMasq": false,
         "ipam": ["type": "host-local", "subnet": .string(subnet ?? self.subnet), "dataDir": .string(ipamDirectory)]]
    }

    static let portmapPlugin: JSONValue = ["type": "portmap", "capabilities": ["portMappings": true]]

    /// Writes the conflist into the conf dir and loads it back the way the shim will.
    func configure(_ plugins: [JSONValue], cniVersion: String = "1.0.0") throws -> CNINetworkList {
        let list: JSONValue = ["cniVersion": .string(cniVersion), "name": .string(networkName), "plugins": .array(plugins)]
        try directory.write("net.d/10-\(networkName).conflist", list.serialized())
        return try CNINetworkList.load(fromDirectory: confDirectory)
    }

    func pod(portMappings: [CNIPortMapping] = []) -> CNIPodNetwork {
        CNIPodNetwork(containerID: "corral-test-\(tag)-sandbox", netnsPath: netnsPath, podName: "web-\(tag)",
                      podNamespace: "default", podUID: "uid-\(tag)", portMappings: portMappings)
    }

    /// Addresses host-local still holds for this network.
    func allocatedAddresses() throws -> [String] {
        let directory = ipamDirectory + "/" + networkName
        guard FileSystem.exists(directory) else { return [] }
        return try FileSystem.listDirectory(directory).filter { $0.hasPrefix(subnetPrefix) }
    }

    /// Links in the pod's namespace other than lo, host links enslaved to our bridge, and host
    /// links whose peer lives in our namespace: whatever an attachment leaves behind.
    func attachedLinks() async throws -> [String] {
        let inside = try await Shell.ip("-n", netnsName, "-o", "link").lines.filter { !$0.contains(": lo:") }
        let host = try await Shell.ip("-o", "link").lines.filter {
            $0.contains("master \(bridge) ") || $0.contains("link-netns \(netnsName)")
        }
        return inside + host
    }

    /// Also runs a best-effort DEL first, so a test that failed halfway leaves no address or
    /// portmap rule behind either.
    func destroy() async {
        if let list = try? CNINetworkList.load(fromDirectory: confDirectory) {
            _ = try? await CNIClient().delete(network: list, pod: pod(), result: nil)
        }
        _ = try? await Shell.ip("link", "del", bridge)
        _ = try? await Shell.ip("netns", "del", netnsName)
        directory.remove()
    }
}

/// What the host has, for proving that a test left nothing behind.
struct HostSnapshot {
    var links: [String]
    var namespaces: [String]

    static func take() async throws -> HostSnapshot {
        HostSnapshot(links: try await Shell.ip("-o", "link").lines, namespaces: try await Shell.ip("netns", "list").lines)
    }

    /// "7: veth1234@if2: <...>" → "veth1234"
    private static func linkName(_ line: String) -> String {
        let fields = line.split(separator: ":", maxSplits: 2)
        guard fields.count > 1 else { return line }
        return String(fields[1].drop { $0 == " " }.prefix { $0 != "@" })
    }

    /// Links and namespaces that appeared since `before` and belong to `network` (named for
    /// it, enslaved to its bridge or peered into its namespace). Other tests on the machine
    /// may add links meanwhile, so only ours are counted.
    func additions(since before: HostSnapshot, of network: BridgeNetwork) -> [String] {
        let known = Set(before.links.map(HostSnapshot.linkName))
        let links = links.filter { line in
            !known.contains(HostSnapshot.linkName(line)) && (line.contains(network.bridge) || line.contains(network.netnsName))
        }
        let namespaces = namespaces.filter { !before.namespaces.contains($0) && $0.contains(network.netnsName) }
        return links + namespaces
    }
}

/// Runs `body` with a fresh network and tears it down afterwards, then checks that the host
/// has no link or namespace of it left.
func withBridgeNetwork(_ body: (BridgeNetwork) async throws -> Void) async throws {
    let before = try await HostSnapshot.take()
    let forwarding = IPForwarding.current
    let network = try await BridgeNetwork.create()
    do {
        try await body(network)
    } catch {
        await network.destroy()
        IPForwarding.restore(forwarding)
        throw error
    }
    await network.destroy()
    IPForwarding.restore(forwarding)
    let after = try await HostSnapshot.take()
    #expect(after.additions(since: before, of: network) == [])
}
