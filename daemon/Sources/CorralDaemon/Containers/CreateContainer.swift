import CRIAPI
import CorralImages
import CorralSpec
import CorralSystem
import Foundation
import OCISpec

extension CRIService {
    /// Records the container and writes its bundle (the OCI spec); the task itself is created
    /// when the container starts, as containerd does. A failure leaves no bundle, rootfs or name.
    func createContainer(_ request: Runtime_V1_CreateContainerRequest) async throws(CRIError) -> Runtime_V1_CreateContainerResponse {
        try ContainerValidation.validate(request)
        let config = request.config
        let sandbox = try await registry.sandbox(request.podSandboxID)
        guard sandbox.state == .sandboxReady else {
            throw .failedPrecondition("pod sandbox \(sandbox.id) is not ready")
        }
        do { try CorralSpec.validate(config) } catch { throw CRIError(spec: error) }
        guard let image = containerImages.image(config.image.image) else {
            throw .notFound("image \"\(config.image.image)\" not found")
        }
        let id = Self.newID()
        let nameKey = ContainerEntry.nameKey(of: config.metadata, in: sandbox.metadata)
        try await registry.reserve(nameKey, for: id, what: "container")

        let bundle = settings.containersDir + "/" + id
        do throws(CRIError) {
            var rootfs: RootfsMount
            do { rootfs = try containerImages.prepareRootfs(containerID: id, image: image) } catch {
                throw CRIError.internalError("preparing the rootfs of container \(id): \(error)")
            }
            var spec = try await makeSpec(id: id, config: config, sandbox: sandbox, image: image)
            try StagedMounts.stage(&spec, rootfs: &rootfs, bundle: bundle, userNamespace: Self.userNamespace(of: sandbox),
                                   staging: mountStaging)
            try writeBundle(bundle, spec: spec)
            var entry = ContainerEntry(
                id: id, sandboxID: sandbox.id, config: config, nameKey: nameKey,
                image: config.image.image, imageRef: image.repoDigests.first ?? image.id, imageID: image.id,
                logPath: config.logPath.isEmpty || sandbox.config.logDirectory.isEmpty
                    ? "" : sandbox.config.logDirectory + "/" + config.logPath,
                bundle: bundle, createdAt: Self.now)
            entry.rootfsOptions = rootfs.options
            entry.user = spec.process.map { ProcessIdentity($0.user) }
            // The pod spec's lifecycle.stopSignal beats the image's STOPSIGNAL (KEP-4960).
            entry.stopSignal = StopSignals.number(of: config.stopSignal)
                ?? StopSignals.number(named: image.config.config?.stopSignal) ?? 15
            try await registry.put(entry)
        } catch {
            discardFiles(ofContainer: id, bundle: bundle)
            await registry.release(nameKey, for: id)
            throw error
        }
        return .with { $0.containerID = id }
    }

    /// The pod's own user namespace, where it has one.
    static func userNamespace(of sandbox: SandboxEntry) -> StagedMounts.UserNamespace? {
        guard !sandbox.namespaces.user.isEmpty, let mappings = UserNamespaceOptions.mappings(sandbox.namespaceOptions)
        else { return nil }
        return StagedMounts.UserNamespace(path: sandbox.namespaces.user, rootUID: mappings.uids[0].hostID,
                                          rootGID: mappings.gids[0].hostID)
    }

    private func makeSpec(id: String, config: Runtime_V1_ContainerConfig, sandbox: SandboxEntry,
                          image: Image) async throws(CRIError) -> Spec {
        // The user's name and groups come from the image's own files, read before the spec is made.
        var files: [String: [UInt8]] = [:]
        for path in ["/etc/passwd", "/etc/group"] {
            if let bytes = containerImages.readFile(path, in: image) { files[path] = bytes }
        }
        let frozen = files
        var targetPID = ""
        let options = config.linux.securityContext.namespaceOptions
        if options.pid == .target {
            let target = try await registry.container(options.targetID)
            guard target.state == .containerRunning, target.pid > 0 else {
                throw .failedPrecondition("target container \(options.targetID) of the PID namespace is not running")
            }
            targetPID = "/proc/\(target.pid)/ns/pid"
        }
        let input = ContainerSpecInput(
            containerID: id, sandboxID: sandbox.id, config: config, sandboxConfig: sandbox.config,
            image: image.config, imageName: image.repoTags.first ?? config.image.image,
            namespaces: PodNamespacePaths(network: sandbox.namespaces.network, ipc: sandbox.namespaces.ipc,
                                          uts: sandbox.namespaces.uts, pid: sandbox.namespaces.pid,
                                          user: sandbox.namespaces.user),
            targetPIDNamespace: targetPID,
            podFiles: podFiles.mounts(pod: sandbox.id),
            cgroupsPath: cgroupsPath(for: id, parent: sandbox.config.linux.cgroupParent),
            readImageFile: { frozen[$0] },
            daemonOOMScoreAdj: settings.daemonOOMScoreAdj,
            hostHasAppArmor: false)
        do { return try makeContainerSpec(input) } catch { throw CRIError(spec: error) }
    }

    func cgroupsPath(for id: String, parent: String) -> String {
        if settings.systemdCgroup {
            let slice = parent.isEmpty ? "system.slice" : (parent as NSString).lastPathComponent
            return "\(slice):corral:\(id)"
        }
        return (parent.isEmpty ? "/corral" : parent) + "/" + id
    }

    private func writeBundle(_ bundle: String, spec: Spec) throws(CRIError) {
        do {
            try FileSystem.makeDirectories(bundle + "/rootfs", mode: 0o711)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try FileSystem.writeAtomically(bundle + "/config.json", Array(try encoder.encode(spec)), mode: 0o600,
                                          durable: false)
            if let seccomp = spec.linux?.seccomp {
                // Without it the shim leaves the container's execs to the runtime, which compiles its own.
                do {
                    try FileSystem.writeAtomically(bundle + "/seccomp.bpf", try SeccompProgram.compiled(seccomp), mode: 0o600,
                                              durable: false)
                } catch let error as SeccompProgram.Unsupported {
                    logger.debug("no compiled seccomp filter for \(bundle): \(error)")
                }
            }
        } catch {
            throw .internalError("writing the bundle \(bundle): \(error)")
        }
    }
}

extension CRIError {
    init(spec error: SpecError) {
        switch error {
        case .invalidArgument(let message): self.init(.invalidArgument, message)
        case .notFound(let message): self.init(.notFound, message)
        }
    }
}
