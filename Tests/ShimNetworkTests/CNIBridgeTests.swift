import CorralJSON
import CorralSystem
import ShimNetwork
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The client against Debian's real plugins, each test on its own namespace, bridge and /24.
/// Serialized so that before/after views of the host are not muddled by a sibling test.
/// No test sends a packet anywhere: addresses are read back with `ip`, never pinged.
@Suite("CNI with the real plugins", .serialized,
       .enabled(if: getuid() == 0 && FileSystem.exists("/usr/lib/cni/bridge"), "needs root and containernetworking-plugins"))
struct CNIBridgeTests {
    private let client = CNIClient(binDirectories: ["/opt/cni/bin", "/usr/lib/cni"])

    @Test func setUpGivesThePodAnAddressAndTearDownRemovesIt() async throws {
        try await PortmapChains.restoringAfterwards {
            try await withBridgeNetwork { net in
                let list = try net.configure([net.bridgePlugin(), BridgeNetwork.portmapPlugin])
                let hostPort = Int.random(in: 40000...49999)
                let pod = net.pod(portMappings: [CNIPortMapping(hostPort: hostPort, containerPort: 80, hostIP: "127.0.0.1")])

                let result = try await client.setUp(network: list, pod: pod)
                let ip = try #require(result.podIPs.first)
                #expect(ip.address.hasPrefix(net.subnetPrefix))
                #expect(ip.prefixLength == 24)
                #expect(ip.gateway == net.subnetPrefix + "1")
                #expect(result.interfaces.contains { $0.name == "eth0" && $0.sandbox == net.netnsPath })
                #expect(result.interfaces.contains { $0.name == net.bridge })

                #expect(try await Shell.ip("-n", net.netnsName, "-o", "addr", "show", "eth0").stdoutText.contains("inet \(ip.cidr) "))
                #expect(try await Shell.ip("-n", net.netnsName, "-o", "link", "show", "lo").stdoutText.contains("<LOOPBACK,UP"))
                #expect(try net.allocatedAddresses() == [ip.address])
                // portmap got the port mapping through runtimeConfig.
                #expect(try await Shell.iptablesNAT().contains("--to-destination \(ip.address):80"))

                // No CHECK here: portmap 1.1.1 fails CHECK of IPv4-only mappings whenever ip6tables
                // exists (containernetworking/plugins#819). The other tests CHECK without mappings.

                try await client.tearDown(network: list, pod: pod, result: result)
                #expect(try await net.attachedLinks() == [])
                #expect(try net.allocatedAddresses() == [])
                #expect(try await Shell.iptablesNAT().contains(ip.address) == false)

                // DEL is idempotent.
                try await client.tearDown(network: list, pod: pod, result: result)
                try await client.delete(network: list, pod: pod, result: nil)
                #expect(try await net.attachedLinks() == [])
            }
        }
    }

    @Test func checkPassesAfterAdd() async throws {
        try await withBridgeNetwork { net in
            let list = try net.configure([net.bridgePlugin(), BridgeNetwork.portmapPlugin])
            let result = try await client.add(network: list, pod: net.pod())
            #expect(try await client.check(network: list, pod: net.pod(), result: result))
            try await client.delete(network: list, pod: net.pod(), result: result)
            #expect(try await net.attachedLinks() == [])
        }
    }

    @Test func theResultSurvivesPersistenceForALaterDelete() async throws {
        try await withBridgeNetwork { net in
            let list = try net.configure([net.bridgePlugin(), BridgeNetwork.portmapPlugin])
            let result = try await client.add(network: list, pod: net.pod())

            // What a restarted shim has: the list and the result as bytes.
            let storedList = try CNINetworkList(json: JSONValue(parsing: list.json.serializedBytes()))
            let storedResult = try CNIResult(parsing: result.bytes)
            #expect(storedResult == result)
            #expect(try await client.check(network: storedList, pod: net.pod(), result: storedResult))
            try await client.delete(network: storedList, pod: net.pod(), result: storedResult)
            #expect(try await net.attachedLinks() == [])
            #expect(try net.allocatedAddresses() == [])
        }
    }

    @Test func deleteAfterTheNamespaceIsGoneStillReleasesTheAddress() async throws {
        try await withBridgeNetwork { net in
            let list = try net.configure([net.bridgePlugin(), BridgeNetwork.portmapPlugin])
            let result = try await client.add(network: list, pod: net.pod())
            #expect(try net.allocatedAddresses().count == 1)

            try #require(try await Shell.ip("netns", "del", net.netnsName).succeeded)
            try await client.delete(network: list, pod: net.pod(), result: result)
            #expect(try net.allocatedAddresses() == [])
            try await client.delete(network: list, pod: net.pod(), result: result)
        }
    }

    @Test func aMissingPluginTypeFailsNamingItAndLeavesNothing() async throws {
        try await withBridgeNetwork { net in
            let list = try net.configure([net.bridgePlugin(), ["type": "corral-no-such-plugin"]])
            let error = await #expect(throws: CNIError.self) { try await client.add(network: list, pod: net.pod()) }
            #expect(error?.kind == .pluginNotFound)
            #expect(error?.description.hasPrefix(
                "plugin type=\"corral-no-such-plugin\" failed (add): failed to find plugin \"corral-no-such-plugin\" in path [") == true)
            #expect(error?.cleanupFailure == nil)
            // The bridge plugin had already attached the pod; the rollback took it off again.
            #expect(try await net.attachedLinks() == [])
            #expect(try net.allocatedAddresses() == [])
        }
    }

    @Test func aBadIPAMSubnetSurfacesThePluginsOwnMessage() async throws {
        try await withBridgeNetwork { net in
            let list = try net.configure([net.bridgePlugin(subnet: "10.213.300.0/24"), BridgeNetwork.portmapPlugin])
            let error = await #expect(throws: CNIError.self) { try await client.add(network: list, pod: net.pod()) }
            #expect(error?.kind == .pluginFailed)
            #expect(error?.plugin == "bridge")
            #expect(error?.message == "invalid CIDR address: 10.213.300.0/24")
            #expect(error?.description.hasPrefix("plugin type=\"bridge\" failed (add): invalid CIDR address: 10.213.300.0/24") == true)
            // bridge creates the veth before asking IPAM; the rollback removed it.
            #expect(try await net.attachedLinks() == [])
        }
    }

    @Test func checkFailsOnceThePodsInterfaceIsGone() async throws {
        try await withBridgeNetwork { net in
            let list = try net.configure([net.bridgePlugin(), BridgeNetwork.portmapPlugin])
            let result = try await client.add(network: list, pod: net.pod())
            #expect(try await client.check(network: list, pod: net.pod(), result: result))

            try #require(try await Shell.ip("-n", net.netnsName, "link", "del", "eth0").succeeded)
            let error = await #expect(throws: CNIError.self) {
                try await client.check(network: list, pod: net.pod(), result: result)
            }
            #expect(error?.plugin == "bridge")
            try await client.delete(network: list, pod: net.pod(), result: result)
            #expect(try net.allocatedAddresses() == [])
        }
    }
}
