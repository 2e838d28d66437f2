import CRIAPI
import OCISpec

/// The runtime spec (config.json) of one container, the way containerd 1.6/1.7 builds it for
/// kubelet. Reads only host paths the request names (mounts, devices, a seccomp profile),
/// /dev for privileged containers, and the image's account files through `readImageFile`.
public func makeContainerSpec(_ input: ContainerSpecInput) throws(SpecError) -> Spec {
    let config = input.config
    try validate(config)
    let context = config.linux.securityContext
    let sandboxContext = input.sandboxConfig.linux.securityContext
    if context.privileged && !sandboxContext.privileged {
        throw .invalidArgument("linux.security_context.privileged: the pod sandbox is not privileged")
    }
    let podNamespaces = sandboxContext.namespaceOptions
    try Sysctls.validate(input.sandboxConfig.linux.sysctls, hostNetwork: podNamespaces.network == .node,
                         hostIPC: podNamespaces.ipc == .node, field: "sandbox linux.sysctls")
    let image = input.image.config

    let capabilities = ContainerCapabilities.make(context, host: input.host)
    let hostname = input.sandboxConfig.hostname.isEmpty ? input.host.hostname : input.sandboxConfig.hostname
    let resources = config.linux.resources
    let process = Process(
        terminal: config.tty,
        user: try ContainerUser.resolve(context, image: image, readImageFile: input.readImageFile),
        args: try ProcessArguments.argv(config, image: image),
        env: ProcessArguments.environment(config, image: image, hostname: hostname),
        cwd: ProcessArguments.workingDirectory(config, image: image),
        capabilities: capabilities,
        rlimits: input.rlimits.isEmpty ? nil : input.rlimits,
        noNewPrivileges: context.noNewPrivs,
        apparmorProfile: try ContainerSecurity.appArmorProfile(context, hostHasAppArmor: input.hostHasAppArmor),
        oomScoreAdj: max(Int(resources.oomScoreAdj), input.daemonOOMScoreAdj))

    let namespaceOptions = ContainerNamespaces.options(input)
    let mounts = try ContainerMounts.make(config, podFiles: input.podFiles, hostIPC: namespaceOptions.ipc == .node)
    let devices = try ContainerDevices.make(config, privileged: context.privileged)
    let userNamespace = try ContainerUserNamespace.make(input, options: namespaceOptions)
    let namespaces = try ContainerNamespaces.make(namespaceOptions, paths: input.namespaces,
                                                  targetPID: input.targetPIDNamespace,
                                                  privileged: context.privileged, host: input.host)
        + (userNamespace.map { [$0.namespace] } ?? [])
    let sysctls = input.sandboxConfig.linux.sysctls
    let linux = Linux(
        uidMappings: userNamespace?.uidMappings,
        gidMappings: userNamespace?.gidMappings,
        sysctl: sysctls.isEmpty ? nil : sysctls,
        resources: ContainerResources.make(resources, devices: devices.rules, host: input.host),
        cgroupsPath: input.cgroupsPath.isEmpty ? nil : input.cgroupsPath,
        namespaces: namespaces,
        devices: devices.devices.isEmpty ? nil : devices.devices,
        seccomp: try ContainerSecurity.seccomp(context, capabilities: capabilities.bounding ?? []),
        rootfsPropagation: mounts.rootfsPropagation,
        maskedPaths: ContainerSecurity.maskedPaths(context),
        readonlyPaths: ContainerSecurity.readonlyPaths(context))

    // The hostname is the pod's; setting it needs a UTS namespace that is not the host's.
    let ownUTS = namespaces.contains { $0.type == .uts }
    return Spec(process: process,
                root: Root(path: ContainerDefaults.rootPath, readonly: context.readonlyRootfs ? true : nil),
                hostname: ownUTS && !input.sandboxConfig.hostname.isEmpty ? input.sandboxConfig.hostname : nil,
                mounts: mounts.mounts,
                annotations: CRIAnnotations.make(input),
                linux: linux)
}
