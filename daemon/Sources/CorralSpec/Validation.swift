import CRIAPI

/// Checks a CreateContainer request on its own, before anything is pulled, mounted or written.
/// Host paths are checked later, when the spec is made.
public func validate(_ config: Runtime_V1_ContainerConfig) throws(SpecError) {
    if config.metadata.name.isEmpty {
        throw .invalidArgument("metadata.name: a container needs a name")
    }
    if !config.workingDir.isEmpty && !Paths.isAbsolute(config.workingDir) {
        throw .invalidArgument("working_dir \(quoted(config.workingDir)): not an absolute path")
    }
    for (index, env) in config.envs.enumerated() where env.key.isEmpty {
        throw .invalidArgument("envs[\(index)].key: empty (value \(quoted(env.value)))")
    }
    try validateMounts(config.mounts)
    try validateDevices(config.devices)
    try validateResources(config.linux.resources, field: "linux.resources")
    try validateSecurityContext(config.linux.securityContext)
}

func quoted(_ text: String) -> String {
    "\"" + text + "\""
}

private func validateMounts(_ mounts: [Runtime_V1_Mount]) throws(SpecError) {
    var seen: [String: Int] = [:]
    for (index, mount) in mounts.enumerated() {
        let field = "mounts[\(index)]"
        guard Paths.isAbsolute(mount.containerPath) else {
            throw .invalidArgument("\(field).container_path \(quoted(mount.containerPath)): not an absolute path")
        }
        guard !mount.hostPath.isEmpty else {
            throw .invalidArgument("\(field).host_path: empty")
        }
        if !mount.uidMappings.isEmpty || !mount.gidMappings.isEmpty {
            throw .invalidArgument("\(field): ID-mapped mounts are not supported")
        }
        if case .UNRECOGNIZED(let value) = mount.propagation {
            throw .invalidArgument("\(field).propagation: unknown value \(value)")
        }
        let destination = Paths.clean(mount.containerPath)
        if let first = seen[destination] {
            throw .invalidArgument("\(field).container_path \(quoted(mount.containerPath)): also the destination of mounts[\(first)]")
        }
        seen[destination] = index
    }
}

private func validateDevices(_ devices: [Runtime_V1_Device]) throws(SpecError) {
    for (index, device) in devices.enumerated() {
        let field = "devices[\(index)]"
        guard !device.hostPath.isEmpty else { throw .invalidArgument("\(field).host_path: empty") }
        if !device.containerPath.isEmpty && !Paths.isAbsolute(device.containerPath) {
            throw .invalidArgument("\(field).container_path \(quoted(device.containerPath)): not an absolute path")
        }
        if device.permissions.contains(where: { !"rwm".contains($0) }) {
            throw .invalidArgument("\(field).permissions \(quoted(device.permissions)): only r, w and m are allowed")
        }
    }
}

func validateResources(_ resources: Runtime_V1_LinuxContainerResources, field: String) throws(SpecError) {
    // -1 means "no limit" to the cgroup files for quota and swap, so it passes; other negatives are mistakes.
    let checks: [(String, Int64, Int64)] = [
        ("cpu_period", resources.cpuPeriod, 0), ("cpu_quota", resources.cpuQuota, -1),
        ("cpu_shares", resources.cpuShares, 0), ("memory_limit_in_bytes", resources.memoryLimitInBytes, 0),
        ("memory_swap_limit_in_bytes", resources.memorySwapLimitInBytes, -1),
    ]
    for (name, value, minimum) in checks where value < minimum {
        throw .invalidArgument("\(field).\(name) \(value): must not be negative")
    }
    if !(-1000...1000).contains(resources.oomScoreAdj) {
        throw .invalidArgument("\(field).oom_score_adj \(resources.oomScoreAdj): must be within -1000…1000")
    }
    for (index, limit) in resources.hugepageLimits.enumerated() where limit.pageSize.isEmpty {
        throw .invalidArgument("\(field).hugepage_limits[\(index)].page_size: empty")
    }
    for key in resources.unified.keys.sorted() where key.isEmpty || key.contains("/") || key.hasPrefix(".") {
        throw .invalidArgument("\(field).unified \(quoted(key)): not a cgroup file name")
    }
}

private func validateSecurityContext(_ context: Runtime_V1_LinuxContainerSecurityContext) throws(SpecError) {
    let field = "linux.security_context"
    let capabilities = context.capabilities
    let lists = [("add_capabilities", capabilities.addCapabilities, true),
                 ("drop_capabilities", capabilities.dropCapabilities, true),
                 ("add_ambient_capabilities", capabilities.addAmbientCapabilities, false)]
    for (name, list, allowsAll) in lists {
        for (index, capability) in list.enumerated() {
            if allowsAll && capability.uppercased() == "ALL" { continue }
            if Capabilities.canonical(capability) == nil {
                throw .invalidArgument("\(field).capabilities.\(name)[\(index)] \(quoted(capability)): unknown capability")
            }
        }
    }
    if context.hasRunAsUser && !(0...Int64(Int32.max)).contains(context.runAsUser.value) {
        throw .invalidArgument("\(field).run_as_user \(context.runAsUser.value): out of range")
    }
    if context.hasRunAsGroup && !(0...Int64(Int32.max)).contains(context.runAsGroup.value) {
        throw .invalidArgument("\(field).run_as_group \(context.runAsGroup.value): out of range")
    }
    if context.hasRunAsGroup && !context.hasRunAsUser && context.runAsUsername.isEmpty {
        throw .invalidArgument("\(field).run_as_group \(context.runAsGroup.value): set without run_as_user or run_as_username")
    }
    for (index, group) in context.supplementalGroups.enumerated() where !(0...Int64(UInt32.max)).contains(group) {
        throw .invalidArgument("\(field).supplemental_groups[\(index)] \(group): out of range")
    }
    for (name, list) in [("masked_paths", context.maskedPaths), ("readonly_paths", context.readonlyPaths)] {
        for (index, path) in list.enumerated() where !Paths.isAbsolute(path) {
            throw .invalidArgument("\(field).\(name)[\(index)] \(quoted(path)): not an absolute path")
        }
    }
    let namespaces = context.namespaceOptions
    if namespaces.hasUsernsOptions && namespaces.usernsOptions.mode != .node && namespaces.usernsOptions.mode != .pod {
        throw .invalidArgument("\(field).namespace_options.userns_options.mode: \("\(namespaces.usernsOptions.mode)".uppercased()) is not supported; a container shares its pod's (POD) or the host's (NODE)")
    }
    if namespaces.pid == .target && namespaces.targetID.isEmpty {
        throw .invalidArgument("\(field).namespace_options.target_id: empty with PID namespace mode TARGET")
    }
    for (name, mode) in [("network", namespaces.network), ("pid", namespaces.pid), ("ipc", namespaces.ipc)] {
        if case .UNRECOGNIZED(let value) = mode {
            throw .invalidArgument("\(field).namespace_options.\(name): unknown mode \(value)")
        }
    }
    _ = try SeccompChoice(context)
    _ = try AppArmorChoice(context)
}
