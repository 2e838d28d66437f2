import CorralSystem
import CRIAPI
import OCISpec

/// Device nodes the container gets and the device-cgroup rules that let it use them.
struct ContainerDevices {
    var devices: [LinuxDevice]
    var rules: [LinuxDeviceCgroup]

    /// The request's devices behind a deny-all rule; privileged containers get every host device
    /// and every device allowed, as containerd does without privileged_without_host_devices.
    static func make(_ config: Runtime_V1_ContainerConfig, privileged: Bool) throws(SpecError) -> ContainerDevices {
        var result = ContainerDevices(devices: [], rules: [LinuxDeviceCgroup(allow: false, access: "rwm")])
        for (index, device) in config.devices.enumerated() {
            let field = "devices[\(index)].host_path"
            let path: String
            switch HostFiles.resolve(device.hostPath).mapError(SpecFailure.init) {
            case .success(let resolved): path = resolved
            case .failure(.missing(let reason)): throw .notFound("\(field) \(quoted(device.hostPath)): \(reason)")
            case .failure(.unusable(let reason)): throw .invalidArgument("\(field) \(quoted(device.hostPath)): \(reason)")
            }
            let found: [LinuxDevice]
            do throws(SystemError) {
                found = try devices(at: path, containerPath: device.containerPath)
            } catch {
                throw .invalidArgument("\(field) \(quoted(device.hostPath)): \(error.reason)")
            }
            guard !found.isEmpty else {
                throw .invalidArgument("\(field) \(quoted(device.hostPath)): not a device node")
            }
            let access = device.permissions.isEmpty ? "rwm" : device.permissions
            for node in found {
                result.devices.append(node)
                result.rules.append(LinuxDeviceCgroup(allow: true, type: node.type, major: node.major,
                                                      minor: node.minor, access: access))
            }
        }
        if privileged {
            let requested = Set(result.devices.map(\.path))
            let host = (try? devices(at: "/dev", containerPath: "")) ?? []
            result.devices += host.filter { !requested.contains($0.path) }
            result.rules = [LinuxDeviceCgroup(allow: true, access: "rwm")]
        }
        return result
    }

    /// The device at `path`, or every device below it when it is a directory; the container
    /// path defaults to the host path.
    static func devices(at path: String, containerPath: String) throws(SystemError) -> [LinuxDevice] {
        let status = try HostFiles.status(path, followingLinks: true).get()
        guard status.kind == .directory else {
            guard let device = device(path, status) else { return [] }
            var node = device
            if !containerPath.isEmpty { node.path = containerPath }
            return [node]
        }
        var found: [LinuxDevice] = []
        for name in try FileSystem.listDirectory(path).sorted() {
            let child = path == "/" ? "/" + name : path + "/" + name
            let childContainerPath = containerPath.isEmpty ? "" : containerPath + "/" + name
            guard case .success(let entry) = HostFiles.status(child) else { continue }
            switch entry.kind {
            case .directory:
                // Mounted separately, or runtime bookkeeping rather than devices.
                if skippedDirectories.contains(name) { continue }
                found += try devices(at: child, containerPath: childContainerPath)
            case .characterDevice, .blockDevice:
                if name == "console" { continue }
                if var node = device(child, entry) {
                    if !childContainerPath.isEmpty { node.path = childContainerPath }
                    found.append(node)
                }
            default:
                continue
            }
        }
        return found
    }

    static let skippedDirectories: Set<String> = ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"]

    private static func device(_ path: String, _ status: HostFileStatus) -> LinuxDevice? {
        let type: String
        switch status.kind {
        case .characterDevice: type = "c"
        case .blockDevice: type = "b"
        default: return nil
        }
        return LinuxDevice(path: path, type: type, major: status.major, minor: status.minor,
                           fileMode: status.permissions, uid: status.uid, gid: status.gid)
    }
}
