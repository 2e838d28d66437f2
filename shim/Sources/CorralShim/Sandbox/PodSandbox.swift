import CorralJSON
import CorralSystem
import ShimAPI
import ShimCgroups
import ShimContract
import ShimNetwork
import TTRPC

/// The pod itself: its namespaces, its network, its life cycle.
actor PodSandbox {
    private let shim: ShimContext
    private let tasks: TaskRegistry
    private var request: Corral_Shim_V1_CreateSandboxRequest?
    private(set) var state: Corral_Shim_V1_SandboxState = .unknown
    private var namespaces = PodNamespaces()
    /// The CNI networks the pod joins, in order (eth0 first), and ADD's result of each.
    private var networks: [CNINetworkList] = []
    private var networkResults: [CNIResult] = []
    /// The pod's addresses come from its first network.
    private var networkResult: CNIResult? { networkResults.first }
    private var createdAt: UInt64 = 0
    private var readyAt: UInt64 = 0
    private var exitedAt: UInt64 = 0
    private let stopped = Latch()
    /// Set while a start sets up the network. A stop or shutdown that comes meanwhile (corrald
    /// gave up on the start, or restarted and is cleaning up) waits for it: its DEL would
    /// otherwise run before the ADD it should undo, and what the ADD then makes would leak.
    private var starting: Latch?
    /// The pod cgroup's files, found at the first metrics call.
    private var podCgroup: CgroupPaths?

    init(shim: ShimContext, tasks: TaskRegistry) {
        self.shim = shim
        self.tasks = tasks
    }

    /// Answers for this shim's pod only; an empty id means "this shim's pod".
    func ping(_ id: String) throws(RPCError) {
        try check(id)
    }

    private func check(_ id: String) throws(RPCError) {
        guard id.isEmpty || id == shim.options.id else {
            throw RPCError(.notFound, "sandbox \(id) is not served by this shim (it serves \(shim.options.id))")
        }
    }

    func create(_ request: Corral_Shim_V1_CreateSandboxRequest) async throws(RPCError) {
        try check(request.sandboxID)
        guard state == .unknown else {
            throw RPCError(.alreadyExists, "sandbox \(shim.options.id) was already created")
        }
        let options = request.namespaceOptions
        if options.pid == .target || options.network == .target {
            throw RPCError(.invalidArgument, "namespace_options: TARGET applies to containers, not to the pod")
        }
        if options.uidMappings.isEmpty != options.gidMappings.isEmpty {
            throw RPCError(.invalidArgument, "namespace_options: a user namespace needs both uid and gid mappings")
        }
        if !options.uidMappings.isEmpty && (options.network == .node || options.ipc == .node || options.pid == .node) {
            throw RPCError(.invalidArgument, "namespace_options: a pod in a user namespace of its own cannot share the host's network, IPC or PID namespace")
        }
        do {
            namespaces = try PodNamespaces.create(in: shim.paths.namespaces, options: request.namespaceOptions,
                                                  hostname: request.hostname, executable: FileSystem.currentExecutable)
        } catch {
            throw RPCError(.internal, "creating the pod's namespaces: \(error)")
        }
        self.request = request
        state = .created
        createdAt = Clock.wallNanos
        persist()
        shim.log(.info, "sandbox \(shim.options.id) created; namespaces: \(namespaces.summary)")
        // After the state changed, so that no second create slips in while it waits; before
        // the answer, so that every container of the pod is made with it.
        await tasks.useSystemdCgroup(request.systemdCgroup)
    }

    func start(_ id: String) async throws(RPCError) -> Corral_Shim_V1_StartSandboxResponse {
        try check(id)
        guard let request, state == .created else {
            throw RPCError(.failedPrecondition, "sandbox \(shim.options.id) is \(state), not created")
        }
        if let netns = namespaces.network {
            let settingUp = Latch()
            starting = settingUp
            defer {
                settingUp.open()
                starting = nil
            }
            do {
                try await setUpNetwork(request, netns: netns)
            } catch {
                // Nothing of a failed sandbox stays: no network, no namespaces.
                namespaces.release()
                namespaces = PodNamespaces()
                state = .stopped
                exitedAt = Clock.wallNanos
                persist()
                throw error
            }
        }
        state = .ready
        readyAt = Clock.wallNanos
        persist()
        var response = Corral_Shim_V1_StartSandboxResponse()
        response.pid = UInt32(namespaces.initPID ?? ProcessControl.pid)
        response.createdAt = .init(wallNanos: createdAt)
        response.readyAt = .init(wallNanos: readyAt)
        response.ips = podIPs
        response.netnsPath = namespaces.network ?? ""
        response.namespaces = namespaces.paths
        return response
    }

    private var podNetwork: CNIPodNetwork? {
        guard let request, let netns = namespaces.network else { return nil }
        let config = request.network
        return CNIPodNetwork(
            containerID: shim.options.id, netnsPath: netns, podName: request.metadata.name,
            podNamespace: request.metadata.namespace, podUID: request.metadata.uid,
            portMappings: config.portMappings.map {
                CNIPortMapping(hostPort: Int($0.hostPort), containerPort: Int($0.containerPort),
                               protocol: $0.protocol.cniName, hostIP: $0.hostIp)
            },
            dns: config.hasDns ? CNIDNS(servers: config.dns.servers, searches: config.dns.searches, options: config.dns.options) : nil)
    }

    private func cniClient(_ request: Corral_Shim_V1_CreateSandboxRequest) -> CNIClient {
        let dirs = request.network.cniBinDirs.isEmpty ? CNIClient.defaultBinDirectories : request.network.cniBinDirs
        let limit = request.network.pluginTimeoutMs
        return CNIClient(binDirectories: dirs, pluginTimeLimit: limit == 0 ? nil : .milliseconds(Int64(clamping: limit)),
                         waiter: shim.reaper.childWaiter)
    }

    private func setUpNetwork(_ request: Corral_Shim_V1_CreateSandboxRequest, netns: String) async throws(RPCError) {
        guard let pod = podNetwork else { return }
        let client = cniClient(request)
        do {
            let confDir = request.network.cniConfDir.isEmpty ? "/etc/cni/net.d" : request.network.cniConfDir
            let lists = try CNINetworkList.load(fromDirectory: confDir, count: Int(clamping: max(request.network.maxNetworks, 1)))
            networks = lists
            persist()
            // Persisted by the caller right after, with the sandbox ready.
            networkResults = try await client.setUp(networks: lists, pod: pod)
            for (list, result) in zip(lists, networkResults) {
                shim.log(.info, "network \(list.name) up: \(result.ips.map(\.cidr).joined(separator: ", "))")
            }
        } catch {
            networks = []
            networkResults = []
            throw RPCError(.unknown, "setting up the pod network: \(error)")
        }
    }

    private func tearDownNetwork() async {
        guard let request, !networks.isEmpty, let pod = podNetwork else { return }
        let attached = networks.enumerated().map { index, list in
            (network: list, result: index < networkResults.count ? Optional(networkResults[index]) : nil)
        }
        do {
            try await cniClient(request).tearDown(networks: attached, pod: pod)
        } catch {
            shim.log(.warning, "CNI DEL for \(shim.options.id): \(error)")
        }
        networks = []
        networkResults = []
        persist()
    }

    /// CNI CHECK of the pod's network, for a verbose status: "passed", "not supported" (a
    /// config before CNI 0.4.0, or one that disables it), or the plugin's complaint.
    private func checkNetwork() async -> String {
        guard let request, !networkResults.isEmpty, let pod = podNetwork else { return "no network" }
        var verdicts: [String] = []
        for (index, (network, result)) in zip(networks, networkResults).enumerated() {
            do {
                let checked = try await cniClient(request).check(network: network, pod: CNIClient.attachment(index, of: pod),
                                                                 result: result)
                verdicts.append(checked ? "passed" : "not supported")
            } catch {
                verdicts.append("failed: \(error)")
            }
        }
        return verdicts.joined(separator: "; ")
    }

    private var podIPs: [Corral_Shim_V1_PodIP] {
        guard let result = networkResult else { return [] }
        return result.ips.map { ip in
            var podIP = Corral_Shim_V1_PodIP()
            podIP.ip = ip.address
            if let index = ip.interface, index < result.interfaces.count { podIP.interface = result.interfaces[index].name }
            return podIP
        }
    }

    func stop(_ request: Corral_Shim_V1_StopSandboxRequest) async throws(RPCError) {
        try check(request.sandboxID)
        _ = await starting?.wait()
        if state == .stopped { return }
        await tasks.stopAll(grace: .seconds(Int64(request.timeoutSecs)))
        await tearDownNetwork()
        state = .stopped
        exitedAt = Clock.wallNanos
        persist()
        shim.events.publish(topic: "/sandbox/exit") {
            $0.sandboxExit = .with { $0.sandboxID = shim.options.id; $0.exitedAt = .init(wallNanos: exitedAt) }
        }
        stopped.open()
    }

    func wait(_ id: String) async throws(RPCError) -> Corral_Shim_V1_WaitSandboxResponse {
        try check(id)
        await stopped.wait()
        var response = Corral_Shim_V1_WaitSandboxResponse()
        response.exitedAt = .init(wallNanos: exitedAt)
        return response
    }

    func status(_ request: Corral_Shim_V1_SandboxStatusRequest) async throws(RPCError) -> Corral_Shim_V1_SandboxStatusResponse {
        try check(request.sandboxID)
        var response = Corral_Shim_V1_SandboxStatusResponse()
        response.sandboxID = shim.options.id
        response.pid = UInt32(namespaces.initPID ?? ProcessControl.pid)
        response.state = state
        response.ips = podIPs
        response.netnsPath = namespaces.network ?? ""
        response.namespaces = namespaces.paths
        if createdAt > 0 { response.createdAt = .init(wallNanos: createdAt) }
        if exitedAt > 0 { response.exitedAt = .init(wallNanos: exitedAt) }
        if request.verbose {
            response.info["network"] = networks.map(\.name).joined(separator: ",")
            response.info["cniResult"] = networkResult?.raw.serialized() ?? ""
            response.info["shimPid"] = "\(ProcessControl.pid)"
            response.info["cniCheck"] = await checkNetwork()
        }
        return response
    }

    func metrics(_ id: String) throws(RPCError) -> Corral_Shim_V1_SandboxMetricsResponse {
        try check(id)
        guard let parent = request?.cgroupParent, !parent.isEmpty else {
            throw RPCError(.failedPrecondition, "sandbox \(shim.options.id) has no cgroup parent to measure")
        }
        let paths: CgroupPaths
        if let known = podCgroup {
            paths = known
        } else {
            // Found once, as a container's is (`TaskRegistry.cgroupPaths`).
            guard let layout = try? CgroupLayout.current() else {
                throw RPCError(.failedPrecondition, "sandbox \(shim.options.id) has no cgroup parent to measure")
            }
            // With the systemd driver the parent is a slice name, whose cgroup is a path of systemd's making.
            paths = layout.paths(forCgroupsPath: SystemdSlice.path(of: parent) ?? parent)
            podCgroup = paths
        }
        var response = Corral_Shim_V1_SandboxMetricsResponse()
        response.timestamp = .init(wallNanos: Clock.wallNanos)
        (response.cpu, response.memory, response.pids) = CgroupStats.read(paths).usage
        return response
    }

    /// Stops what runs, releases namespaces and network: the shim may exit after this.
    func shutdown(_ id: String) async throws(RPCError) {
        try check(id)
        _ = await starting?.wait()
        await tasks.removeAll()
        await tearDownNetwork()
        namespaces.release()
        namespaces = PodNamespaces()
        if state != .stopped {
            state = .stopped
            exitedAt = Clock.wallNanos
            stopped.open()
        }
        persist()
    }

    /// What `corral-shim delete` needs to clean up after this shim dies.
    private func persist() {
        let record = SandboxRecord(
            id: shim.options.id, state: state.rawValue, networkNamespace: namespaces.network ?? "",
            ipcNamespace: namespaces.ipc ?? "", utsNamespace: namespaces.uts ?? "", userNamespace: namespaces.user ?? "",
            initPID: namespaces.initPID ?? 0,
            networks: networks.enumerated().map { index, list in
                SandboxRecord.Network(config: list.json.serialized(),
                                      result: index < networkResults.count ? networkResults[index].raw.serialized() : "",
                                      interfaceName: CNIClient.interfaceName(ofNetwork: index))
            },
            cniBinDirectories: request?.network.cniBinDirs ?? [], podName: request?.metadata.name ?? "",
            podNamespace: request?.metadata.namespace ?? "", podUID: request?.metadata.uid ?? "",
            cgroupParent: request?.cgroupParent ?? "")
        do {
            try record.write(to: shim.paths.sandbox)
        } catch {
            shim.log(.error, "persisting sandbox state: \(error)")
        }
    }
}

extension Corral_Shim_V1_PortProtocol {
    var cniName: String {
        switch self {
        case .udp: "udp"
        case .sctp: "sctp"
        default: "tcp"
        }
    }
}
