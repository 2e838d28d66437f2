/// The Linux-specific part of the runtime spec.
public struct Linux: Codable, Sendable, Equatable {
    public var uidMappings: [LinuxIDMapping]?
    public var gidMappings: [LinuxIDMapping]?
    public var sysctl: [String: String]?
    public var resources: LinuxResources?
    public var cgroupsPath: String?
    public var namespaces: [LinuxNamespace]?
    public var devices: [LinuxDevice]?
    public var seccomp: LinuxSeccomp?
    public var rootfsPropagation: String?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var mountLabel: String?

    public init(uidMappings: [LinuxIDMapping]? = nil, gidMappings: [LinuxIDMapping]? = nil,
                sysctl: [String: String]? = nil, resources: LinuxResources? = nil, cgroupsPath: String? = nil,
                namespaces: [LinuxNamespace]? = nil, devices: [LinuxDevice]? = nil, seccomp: LinuxSeccomp? = nil,
                rootfsPropagation: String? = nil, maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil,
                mountLabel: String? = nil) {
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
        self.sysctl = sysctl
        self.resources = resources
        self.cgroupsPath = cgroupsPath
        self.namespaces = namespaces
        self.devices = devices
        self.seccomp = seccomp
        self.rootfsPropagation = rootfsPropagation
        self.maskedPaths = maskedPaths
        self.readonlyPaths = readonlyPaths
        self.mountLabel = mountLabel
    }
}

/// A namespace the container gets: a new one when `path` is nil, else the one at `path`.
public struct LinuxNamespace: Codable, Sendable, Equatable {
    public var type: NamespaceType
    public var path: String?

    public init(type: NamespaceType, path: String? = nil) {
        self.type = type
        self.path = path
    }
}

public enum NamespaceType: String, Codable, Sendable, Equatable, CaseIterable {
    case pid, network, mount, ipc, uts, user, cgroup, time
}

public struct LinuxIDMapping: Codable, Sendable, Equatable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32

    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }
}

/// A device node the runtime creates in the container's /dev.
public struct LinuxDevice: Codable, Sendable, Equatable {
    public var path: String
    /// "c", "b", "u" or "p".
    public var type: String
    public var major: Int64
    public var minor: Int64
    /// Permission bits only (e.g. 0o666), no file-type bits.
    public var fileMode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(path: String, type: String, major: Int64, minor: Int64, fileMode: UInt32? = nil,
                uid: UInt32? = nil, gid: UInt32? = nil) {
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
    }
}
