import CRIAPI
import Logging
import CorralSystem
import Foundation
import ShimAPI

extension CRIService {
    /// Starts the pod's shim, which creates the pod's namespaces and network. Any failure
    /// undoes every step before it: no shim, mount, namespace, network or name is left.
    func runPodSandbox(_ request: Runtime_V1_RunPodSandboxRequest) async throws(CRIError) -> Runtime_V1_RunPodSandboxResponse {
        let config = request.config
        try PodValidation.validate(config, hasConfig: request.hasConfig)
        let runtime = try settings.runtime(forHandler: request.runtimeHandler)
        let id = Self.newID()
        let nameKey = SandboxEntry.nameKey(of: config.metadata)
        try await registry.reserve(nameKey, for: id, what: "pod sandbox")

        var entry = SandboxEntry(id: id, config: config, nameKey: nameKey, runtimeHandler: runtime.name,
                                 createdAt: Self.now)
        entry.requestedHandler = request.runtimeHandler
        let hostname = config.hostname.isEmpty || entry.hostNetwork ? ProcessInfo.processInfo.hostName : config.hostname
        var shimStarted = false
        do throws(CRIError) {
            try podFiles.create(pod: id, config: config, hostname: hostname)
            // Recorded before the shim starts, so that a daemon killed now finds it and cleans up.
            entry.shimStateDir = shims.stateDir(of: id)
            try await registry.put(entry)

            let (handle, pid) = try await shims.start(podID: id)
            shimStarted = true
            entry.shimAddress = handle.address
            entry.shimPID = pid
            try await registry.put(entry)
            await ShimScope(systemdDriver: settings.systemdCgroup)
                .place(shimPID: pid, podID: id, cgroupParent: config.linux.cgroupParent, logger: logger)

            // Created and started in one call; a shim of before that asks for StartSandbox too.
            let startLimit = settings.timeouts.podStart
            let created = try await handle.call(SandboxMethods.createSandbox, createRequest(id: id, config: config,
                                                                                          hostname: hostname, runtime: runtime),
                                                timeout: startLimit)
            let started = created.hasStarted ? created.started
                : try await handle.call(SandboxMethods.startSandbox, .with { $0.sandboxID = id }, timeout: startLimit)
            entry.ips = started.ips.map(\.ip)
            entry.namespaces = started.namespaces
            // A shim that does not know user namespaces would have made a pod without one.
            if UserNamespaceOptions.mappings(entry.namespaceOptions) != nil && started.namespaces.user.isEmpty {
                throw .failedPrecondition("the shim of pod sandbox \(id) made no user namespace for it")
            }
            entry.state = .sandboxReady
            if !entry.hostNetwork { try podFiles.recordAddresses(pod: id, hostname: hostname, ips: entry.ips) }
            try await registry.put(entry)
        } catch {
            await abandon(entry, shimStarted: shimStarted)
            throw error
        }
        logger.info("pod sandbox ready", metadata: ["pod": "\(id)", "name": "\(nameKey)", "ips": "\(entry.ips)"])
        return .with { $0.podSandboxID = id }
    }

    private func createRequest(id: String, config: Runtime_V1_PodSandboxConfig, hostname: String,
                               runtime: ServiceSettings.Runtime) -> Corral_Shim_V1_CreateSandboxRequest {
        .with {
            $0.sandboxID = id
            $0.metadata = .with {
                $0.name = config.metadata.name
                $0.namespace = config.metadata.namespace
                $0.uid = config.metadata.uid
                $0.attempt = config.metadata.attempt
            }
            $0.hostname = hostname
            let options = config.linux.securityContext.namespaceOptions
            $0.namespaceOptions = .with {
                $0.network = Self.shimMode(options.network)
                $0.pid = Self.shimMode(options.pid)
                $0.ipc = Self.shimMode(options.ipc)
                if let mappings = UserNamespaceOptions.mappings(options) {
                    $0.uidMappings = mappings.uids.map(UserNamespaceOptions.shimMapping)
                    $0.gidMappings = mappings.gids.map(UserNamespaceOptions.shimMapping)
                }
            }
            $0.network = .with {
                $0.cniConfDir = settings.cniConfDir
                $0.cniBinDirs = settings.cniBinDirs
                $0.maxNetworks = settings.cniMaxNetworks
                $0.pluginTimeoutMs = UInt64(max(1, settings.timeouts.cniPlugin.nanoseconds / 1_000_000))
                // A mapping without a host port only documents the container's port (kubelet
                // sends those); CNI's portmap refuses port 0, so, as containerd, leave them out.
                $0.portMappings = config.portMappings.filter { $0.hostPort > 0 }.map { port in
                    .with {
                        $0.protocol = switch port.protocol {
                        case .udp: .udp
                        case .sctp: .sctp
                        default: .tcp
                        }
                        $0.containerPort = port.containerPort
                        $0.hostPort = port.hostPort
                        $0.hostIp = port.hostIp
                    }
                }
                $0.dns = .with {
                    $0.servers = config.dnsConfig.servers
                    $0.searches = config.dnsConfig.searches
                    $0.options = config.dnsConfig.options
                }
            }
            $0.cgroupParent = config.linux.cgroupParent
            $0.systemdCgroup = settings.systemdCgroup
            $0.sysctls = config.linux.sysctls
            $0.logDirectory = config.logDirectory
            $0.labels = config.labels
            $0.annotations = config.annotations
            $0.runtimePath = runtime.path
            $0.start = true
        }
    }

    static func shimMode(_ mode: Runtime_V1_NamespaceMode) -> Corral_Shim_V1_NamespaceMode {
        switch mode {
        case .pod: .pod
        case .node: .node
        case .target: .target
        default: .container
        }
    }

    /// Undoes a pod that failed half-way: the shim shuts down (or is deleted), the files and
    /// the record go, the name is free again.
    func abandon(_ entry: SandboxEntry, shimStarted: Bool) async {
        if shimStarted {
            if let handle = await shims.handle(entry.id) {
                let pod: Logger.Metadata = ["pod": "\(entry.id)"]
                await bestEffort("stopping the sandbox of a failed pod", pod) {
                    try await handle.call(SandboxMethods.stopSandbox, .with { $0.sandboxID = entry.id; $0.timeoutSecs = 0 })
                }
                await bestEffort("shutting down the shim of a failed pod", pod) {
                    try await handle.call(SandboxMethods.shutdownSandbox, .with { $0.sandboxID = entry.id })
                }
            }
            await shims.forget(entry.id)
        }
        await waitForShimExit(entry)
        if let failure = await shims.deleteLeftovers(podID: entry.id) {
            logger.warning("corral-shim delete failed", metadata: ["pod": "\(entry.id)", "error": "\(failure)"])
        }
        podFiles.remove(pod: entry.id)
        await bestEffort("removing the record of a failed pod", ["pod": "\(entry.id)"]) {
            try await registry.remove(sandbox: entry.id)
        }
        await registry.release(entry.nameKey, for: entry.id)
    }

    /// A shim exits by itself after ShutdownSandbox; give it a moment so that `delete` does
    /// not race it.
    func waitForShimExit(_ entry: SandboxEntry) async {
        let pid = entry.shimPID
        guard pid > 0 else { return }
        _ = await shims.waitUntilGone(pid, timeout: .seconds(1))
    }
}
