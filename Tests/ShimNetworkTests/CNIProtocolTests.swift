import CorralJSON
import CorralSystem
import ShimNetwork
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the client hands to plugins and how it reads their answers, seen through plugins
/// that record their calls. Serialized because concurrent `Command.run`s stall for about a
/// second each on a two-CPU machine (the Dispatch pool grows slowly under blocking reads).
@Suite("CNI execution protocol", .serialized)
struct CNIProtocolTests {
    private let pod = CNIPodNetwork(
        containerID: "sandbox-1", netnsPath: "/proc/1/ns/net", podName: "web", podNamespace: "shop", podUID: "u-1",
        portMappings: [CNIPortMapping(hostPort: 8080, containerPort: 80, protocol: "TCP"),
                       CNIPortMapping(hostPort: 5353, containerPort: 53, protocol: "udp", hostIP: "127.0.0.1")],
        dns: CNIDNS(servers: ["10.96.0.10"], searches: ["shop.svc.cluster.local"], options: ["ndots:5"]))

    private let firstResult = #"{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/proc/1/ns/net"}],"ips":[{"address":"10.9.0.2/24","gateway":"10.9.0.1","interface":0}]}"#

    private func network(_ cniVersion: String = "1.0.0", disableCheck: Bool = false) throws -> CNINetworkList {
        try CNINetworkList(json: [
            "cniVersion": .string(cniVersion), "name": "fake-net", "disableCheck": .bool(disableCheck),
            "plugins": [
                ["type": "fake-a", "name": "ignored", "cniVersion": "0.1.0", "capabilities": ["portMappings": true, "dns": false]],
                ["type": "fake-b", "capabilities": ["dns": true, "bandwidth": true], "runtimeConfig": ["stale": true]],
            ],
        ])
    }

    private func fakes() throws -> FakePlugins {
        let fakes = try FakePlugins()
        try fakes.install("fake-a")
        try fakes.install("fake-b", inDirectory: 1)
        return fakes
    }

    @Test func addSendsTheProtocolEnvironmentAndChainsResults() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.answer("fake-a", "ADD", stdout: firstResult)
        try fakes.answer("fake-b", "ADD", stdout: firstResult.replacingOccurrences("10.9.0.2", "10.9.0.3"))
        let client = CNIClient(binDirectories: fakes.binDirectories)
        let result = try await client.add(network: network(), pod: pod)
        #expect(result.ips.map(\.cidr) == ["10.9.0.3/24"])

        let calls = try fakes.calls()
        #expect(calls.map { "\($0.command) \($0.type)" } == ["ADD fake-a", "ADD fake-b"])
        #expect(calls[0].environment == [
            "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "sandbox-1", "CNI_NETNS": "/proc/1/ns/net", "CNI_IFNAME": "eth0",
            "CNI_PATH": fakes.binDirectories.joined(separator: ":"),
            "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=sandbox-1;K8S_POD_UID=u-1",
        ])

        let first = calls[0].stdin
        #expect(first["name"]?.string == "fake-net")
        #expect(first["cniVersion"]?.string == "1.0.0")
        #expect(first["prevResult"] == nil)
        #expect(first["runtimeConfig"] == [
            "portMappings": [["hostPort": 8080, "containerPort": 80, "protocol": "tcp"],
                             ["hostPort": 5353, "containerPort": 53, "protocol": "udp", "hostIP": "127.0.0.1"]],
        ])

        let second = calls[1].stdin
        #expect(second["prevResult"] == (try JSONValue(parsing: firstResult)))
        #expect(second["runtimeConfig"] == [
            "dns": ["servers": ["10.96.0.10"], "searches": ["shop.svc.cluster.local"], "options": ["ndots:5"]],
        ])
        #expect(second["capabilities"]?["bandwidth"]?.bool == true)
    }

    @Test func aPluginThatPrintsNothingPassesTheResultOn() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.answer("fake-a", "ADD", stdout: firstResult)
        let result = try await CNIClient(binDirectories: fakes.binDirectories).add(network: network(), pod: pod)
        #expect(result.raw == (try JSONValue(parsing: firstResult)))
    }

    @Test func findsPluginsInTheFirstBinDirectoryThatHasThem() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.install("fake-a", inDirectory: 1)
        let client = CNIClient(binDirectories: fakes.binDirectories)
        #expect(try client.pluginPath(for: "fake-a") == fakes.binDirectories[0] + "/fake-a")
        #expect(try client.pluginPath(for: "fake-b") == fakes.binDirectories[1] + "/fake-b")
        let missing = #expect(throws: CNIError.self) { try client.pluginPath(for: "fake-c") }
        #expect(missing?.kind == .pluginNotFound)
        #expect(missing?.description.contains("failed to find plugin \"fake-c\"") == true)
        #expect(throws: CNIError.self) { try client.pluginPath(for: "../bin1/fake-a") }
    }

    @Test func aFailedAddSurfacesThePluginsErrorAndDeletesTheWholeList() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.answer("fake-a", "ADD", stdout: firstResult)
        try fakes.answer("fake-b", "ADD", stdout: #"{"cniVersion":"1.0.0","code":11,"msg":"no more addresses","details":"pool 10.9.0.0/24 is full"}"#,
                         exit: 1)
        let error = await #expect(throws: CNIError.self) {
            try await CNIClient(binDirectories: fakes.binDirectories).add(network: network(), pod: pod)
        }
        #expect(error?.kind == .pluginFailed)
        #expect(error?.message == "no more addresses")
        #expect(error?.details == "pool 10.9.0.0/24 is full")
        #expect(error?.code == 11)
        #expect(error?.plugin == "fake-b")
        #expect(error?.cleanupFailure == nil)
        #expect(error?.description == "plugin type=\"fake-b\" failed (add): no more addresses; pool 10.9.0.0/24 is full")

        let calls = try fakes.calls()
        #expect(calls.map { "\($0.command) \($0.type)" } == ["ADD fake-a", "ADD fake-b", "DEL fake-b", "DEL fake-a"])
        #expect(calls[2].stdin["prevResult"] == nil)
    }

    @Test func aPluginPastItsTimeLimitIsKilledWithWhatItStartedAndTheListDeleted() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.answer("fake-a", "ADD", stdout: firstResult)
        try fakes.answer("fake-b", "ADD", stderr: "waiting for the IPAM daemon\n")
        try fakes.hang("fake-b", "ADD")
        let client = CNIClient(binDirectories: fakes.binDirectories, pluginTimeLimit: .milliseconds(500))
        let started = ContinuousClock.now
        let error = await #expect(throws: CNIError.self) { try await client.add(network: network(), pod: pod) }
        let took = ContinuousClock.now - started
        #expect(error?.kind == .timedOut)
        #expect(error?.plugin == "fake-b" && error?.command == "ADD")
        #expect(error?.description == "plugin type=\"fake-b\" failed (add): did not finish within 0.5 seconds and was killed; it said: waiting for the IPAM daemon")
        #expect(took < .seconds(5), "the add took \(took)")
        let child = try #require(fakes.hangingChild("fake-b", "ADD"))
        // Killed, it is gone or a zombie until whoever inherited it reaps it.
        let state = (try? FileSystem.readText("/proc/\(child)/stat"))?.split(separator: ")").last?.split(separator: " ").first
        #expect(state == nil || state == "Z", "the plugin's child \(child) outlived it (state \(state ?? ""))")
        let calls = try fakes.calls()
        #expect(calls.map { "\($0.command) \($0.type)" } == ["ADD fake-a", "ADD fake-b", "DEL fake-b", "DEL fake-a"])
    }

    @Test func aFailedCleanupIsReportedAlongsideTheFailure() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.answer("fake-b", "ADD", stdout: #"{"code":999,"msg":"add broke"}"#, exit: 1)
        try fakes.answer("fake-a", "DEL", stdout: #"{"code":999,"msg":"del broke"}"#, exit: 1)
        let error = await #expect(throws: CNIError.self) {
            try await CNIClient(binDirectories: fakes.binDirectories).add(network: network(), pod: pod)
        }
        #expect(error?.message == "add broke")
        #expect(error?.cleanupFailure == "plugin type=\"fake-a\" failed (del): del broke")
    }

    @Test func failuresWithoutAnErrorObjectReportStderr() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.answer("fake-a", "ADD", stderr: "panic: runtime error\n", exit: 2)
        let error = await #expect(throws: CNIError.self) {
            try await CNIClient(binDirectories: fakes.binDirectories).add(network: network(), pod: pod)
        }
        #expect(error?.message == "netplugin failed (exit code 2): panic: runtime error")
        try fakes.answer("fake-a", "ADD", stdout: "garbage", exit: 2)
        let unreadable = await #expect(throws: CNIError.self) {
            try await CNIClient(binDirectories: fakes.binDirectories).add(network: network(), pod: pod)
        }
        #expect(unreadable?.message.contains("garbage") == true)
    }

    @Test func deleteRunsInReverseWithTheCachedResultFrom0_4_0() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        let client = CNIClient(binDirectories: fakes.binDirectories)
        let cached = try CNIResult(json: JSONValue(parsing: firstResult))

        try await client.delete(network: network("0.4.0"), pod: pod, result: cached)
        var calls = try fakes.calls()
        #expect(calls.map { "\($0.command) \($0.type)" } == ["DEL fake-b", "DEL fake-a"])
        #expect(calls.allSatisfy { $0.stdin["prevResult"] == cached.raw })
        #expect(calls[1].stdin["runtimeConfig"]?["portMappings"]?.array?.count == 2)

        try fakes.clearCalls()
        try await client.delete(network: network("0.3.1"), pod: pod, result: cached)
        calls = try fakes.calls()
        #expect(calls.count == 2)
        #expect(calls.allSatisfy { $0.stdin["prevResult"] == nil })
    }

    @Test func deleteRunsEveryPluginAndThrowsTheFirstFailure() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.answer("fake-b", "DEL", stdout: #"{"code":999,"msg":"b is stuck"}"#, exit: 1)
        let error = await #expect(throws: CNIError.self) {
            try await CNIClient(binDirectories: fakes.binDirectories).delete(network: network(), pod: pod, result: nil)
        }
        #expect(error?.message == "b is stuck")
        #expect(try fakes.calls().map(\.type) == ["fake-b", "fake-a"])
    }

    @Test func deletePassesAnEmptyNetnsOnceTheNamespaceIsGone() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        var gone = pod
        gone.netnsPath = fakes.root + "/unmounted-netns"
        try fakes.directory.write("unmounted-netns", "")
        try await CNIClient(binDirectories: fakes.binDirectories).delete(network: network(), pod: gone, result: nil)
        #expect(try fakes.calls().allSatisfy { $0.environment["CNI_NETNS"] == "" })
    }

    @Test func checkRunsOnlyFrom0_4_0AndWhenNotDisabled() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        let client = CNIClient(binDirectories: fakes.binDirectories)
        let cached = try CNIResult(json: JSONValue(parsing: firstResult))

        #expect(try await client.check(network: network("0.3.1"), pod: pod, result: cached) == false)
        #expect(try await client.check(network: network("1.0.0", disableCheck: true), pod: pod, result: cached) == false)
        #expect(try fakes.calls().isEmpty)

        #expect(try await client.check(network: network("0.4.0"), pod: pod, result: cached) == true)
        let calls = try fakes.calls()
        #expect(calls.map { "\($0.command) \($0.type)" } == ["CHECK fake-a", "CHECK fake-b"])
        #expect(calls.allSatisfy { $0.stdin["prevResult"] == cached.raw })

        try fakes.answer("fake-b", "CHECK", stdout: #"{"code":999,"msg":"eth0 has no address"}"#, exit: 1)
        let error = await #expect(throws: CNIError.self) { try await client.check(network: network(), pod: pod, result: cached) }
        #expect(error?.message == "eth0 has no address")
    }

    @Test func loopbackUsesTheLoopbackPluginOnLo() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.install("loopback")
        let client = CNIClient(binDirectories: fakes.binDirectories)
        try await client.setUpLoopback(pod: pod)
        try await client.tearDownLoopback(pod: pod)
        let calls = try fakes.calls()
        #expect(calls.map { "\($0.command) \($0.type)" } == ["ADD loopback", "DEL loopback"])
        #expect(calls.allSatisfy { $0.environment["CNI_IFNAME"] == "lo" })
        #expect(calls[0].stdin["name"]?.string == "cni-loopback")
    }

    @Test func setUpBringsUpLoopbackAndTheList() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.install("loopback")
        try fakes.answer("fake-b", "ADD", stdout: firstResult)
        let result = try await CNIClient(binDirectories: fakes.binDirectories).setUp(network: network(), pod: pod)
        #expect(result.ips.map(\.cidr) == ["10.9.0.2/24"])
        // Loopback runs beside the list, so only the list's own order is fixed.
        let calls = try fakes.calls().map { "\($0.command) \($0.type)" }
        #expect(Set(calls) == ["ADD loopback", "ADD fake-a", "ADD fake-b"])
        #expect(calls.filter { $0 != "ADD loopback" } == ["ADD fake-a", "ADD fake-b"])
    }

    @Test func aFailedLoopbackDeletesTheListItWasSetUpBeside() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.install("loopback")
        try fakes.answer("loopback", "ADD", stdout: #"{"code":999,"msg":"lo is gone"}"#, exit: 1)
        try fakes.answer("fake-b", "ADD", stdout: firstResult)
        let error = await #expect(throws: CNIError.self) {
            try await CNIClient(binDirectories: fakes.binDirectories).setUp(network: network(), pod: pod)
        }
        #expect(error?.message == "lo is gone")
        #expect(error?.plugin == "loopback")
        // The failed loopback ADD deleted itself; the list is deleted with the result it had.
        let calls = try fakes.calls()
        let deletes = calls.filter { $0.command == "DEL" }
        #expect(deletes.filter { $0.type != "loopback" }.map(\.type) == ["fake-b", "fake-a"])
        #expect(deletes.contains { $0.type == "loopback" })
        #expect(deletes.first { $0.type == "fake-b" }?.stdin["prevResult"]?["ips"] != nil)
    }

    /// containerd's max_conf_num: each further network on eth1, eth2…; one that fails takes the
    /// ones already up (and loopback) down with it.
    @Test func aSecondNetworkGoesOnEth1AndItsFailureUndoesTheFirst() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        try fakes.install("loopback")
        try fakes.install("fake-c")
        try fakes.answer("fake-b", "ADD", stdout: firstResult)
        let second = try CNINetworkList(json: ["cniVersion": "1.0.0", "name": "second", "plugins": [["type": "fake-c"]]])
        let client = CNIClient(binDirectories: fakes.binDirectories)
        let results = try await client.setUp(networks: [try network(), second], pod: pod)
        #expect(results.count == 2)
        var calls = try fakes.calls()
        #expect(calls.first { $0.type == "fake-c" }?.environment["CNI_IFNAME"] == "eth1")
        #expect(calls.first { $0.type == "fake-b" }?.environment["CNI_IFNAME"] == "eth0")

        try fakes.clearCalls()
        try fakes.answer("fake-b", "ADD", stdout: firstResult)
        try fakes.answer("fake-c", "ADD", stdout: #"{"code":11,"msg":"no room on the second network"}"#, exit: 1)
        let error = await #expect(throws: CNIError.self) { try await client.setUp(networks: [try network(), second], pod: pod) }
        #expect(error?.message == "no room on the second network")
        calls = try fakes.calls()
        let deletes = calls.filter { $0.command == "DEL" }.map { "\($0.type) \($0.environment["CNI_IFNAME"] ?? "")" }
        // The second network deleted itself; then the first, last plugin first, and loopback.
        #expect(deletes.filter { !$0.hasPrefix("fake-c") } == ["fake-b eth0", "fake-a eth0", "loopback lo"], "\(deletes)")
    }

    @Test func theGivenWaiterCollectsEveryPlugin() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        let waited = Mutex<[pid_t]>([])
        let client = CNIClient(binDirectories: fakes.binDirectories, waiter: ChildWaiter(mark: { 0 }) { pid, since in
            waited.withLock { $0.append(pid) }
            return await ChildWaiter.blocking.wait(pid, since)
        })
        _ = try await client.add(network: network(), pod: pod)
        #expect(waited.withLock { $0.count } == 2)
    }

    @Test func refusesRequestsLibcniWouldRefuse() async throws {
        let fakes = try fakes()
        defer { fakes.remove() }
        let client = CNIClient(binDirectories: fakes.binDirectories)
        for (containerID, interface) in [("", "eth0"), ("-bad", "eth0"), ("a b", "eth0"), ("ok", ""), ("ok", "a/b"),
                                         ("ok", "sixteen-chars-xx")] {
            var bad = pod
            bad.containerID = containerID
            bad.interfaceName = interface
            let error = await #expect(throws: CNIError.self) { try await client.add(network: network(), pod: bad) }
            #expect(error?.kind == .configuration)
        }
        #expect(try fakes.calls().isEmpty)
    }
}
