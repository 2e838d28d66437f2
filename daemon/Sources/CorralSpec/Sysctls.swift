/// Which sysctls a pod may set: only those the kernel keeps per namespace, and only when the
/// pod has that namespace of its own (kubelet's list of namespaced sysctls).
public enum Sysctls {
    public enum Namespace: Equatable, Sendable {
        case ipc, network
    }

    /// The namespace a sysctl belongs to; nil for a node-wide one.
    public static func namespace(of name: String) -> Namespace? {
        let dotted = name.replacingSlashes
        if dotted == "kernel.sem" || dotted.hasPrefix("kernel.shm") || dotted.hasPrefix("kernel.msg")
            || dotted.hasPrefix("fs.mqueue.") {
            return .ipc
        }
        return dotted.hasPrefix("net.") ? .network : nil
    }

    /// - Parameters:
    ///   - field: how the map is named in messages, e.g. "linux.sysctls".
    public static func validate(_ sysctls: [String: String], hostNetwork: Bool, hostIPC: Bool,
                                field: String = "linux.sysctls") throws(SpecError) {
        for name in sysctls.keys.sorted() {
            let allowed = name.allSatisfy { $0.isLetter || $0.isNumber || "._-/".contains($0) }
            guard allowed, !name.isEmpty, !name.contains("..") else {
                throw .invalidArgument("\(field) \(quoted(name)): not a sysctl name")
            }
            switch namespace(of: name) {
            case nil:
                throw .invalidArgument("\(field) \(quoted(name)): not a namespaced sysctl, a pod may not set it")
            case .network? where hostNetwork:
                throw .invalidArgument("\(field) \(quoted(name)): a network sysctl in a pod on the host's network")
            case .ipc? where hostIPC:
                throw .invalidArgument("\(field) \(quoted(name)): an IPC sysctl in a pod sharing the host's IPC namespace")
            default:
                continue
            }
        }
    }
}

private extension String {
    var replacingSlashes: String {
        String(map { $0 == "/" ? "." : $0 })
    }
}
