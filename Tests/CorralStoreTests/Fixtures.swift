import CorralStore
import Foundation
import TestSupport

extension TemporaryDirectory {
    var database: String { path + "/meta.db" }
}

func hexID(_ n: Int) -> String {
    let digits = String(n, radix: 16)
    return String(repeating: "0", count: 64 - digits.count) + digits
}

func sandbox(_ n: Int, name: String? = nil) -> SandboxRecord {
    SandboxRecord(id: hexID(n), name: name ?? "pod\(n)_default_uid\(n)_0", podName: "pod\(n)", podNamespace: "default",
                  podUID: "uid\(n)", attempt: 0, runtimeHandler: "runc", state: "ready",
                  createdAt: Int64(n), config: Data([1, 2, 3]))
}

func container(_ n: Int, in sandboxID: String, name: String? = nil) -> ContainerRecord {
    ContainerRecord(id: hexID(0x10000 + n), sandboxID: sandboxID, name: name ?? "c\(n)_pod_default_uid_0",
                    containerName: "c\(n)", attempt: 0, image: "busybox", state: "created",
                    createdAt: Int64(n), config: Data([4, 5]))
}
