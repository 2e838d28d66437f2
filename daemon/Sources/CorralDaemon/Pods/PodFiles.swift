import CRIAPI
import CorralSpec
import CorralSystem
import Foundation

/// The files a pod's containers share, kept by the daemon in `<state>/sandboxes/<id>`:
/// hostname, hosts, resolv.conf, and a tmpfs for /dev/shm when the pod has its own IPC.
/// Runtime state, as the pod is: written atomically but not durably (no fsync).
struct PodFiles: Sendable {
    let directory: String

    init(sandboxesDir: String, id: String) {
        directory = sandboxesDir + "/" + id
    }

    var hostname: String { directory + "/hostname" }
    var hosts: String { directory + "/hosts" }
    var resolvConf: String { directory + "/resolv.conf" }
    var shm: String { directory + "/shm" }

    /// kubelet's default for a pod's /dev/shm.
    static let shmSize = 64 << 20

    func create(config: Runtime_V1_PodSandboxConfig, hostname name: String) throws(CRIError) {
        do {
            try FileSystem.makeDirectories(directory, mode: 0o711)
            try FileSystem.writeAtomically(hostname, Array((name + "\n").utf8), durable: false)
            // A pod of its own network gets its hosts file once its addresses are known
            // (`recordAddresses`); no container starts before that.
            if config.linux.securityContext.namespaceOptions.network == .node {
                // A host without /etc/hosts gives its host-network pods an empty one.
                try FileSystem.writeAtomically(hosts, (try? FileSystem.readFile("/etc/hosts")) ?? [], durable: false)
            }
            if let text = PodFilesContent.resolvConf(config.dnsConfig) {
                try FileSystem.writeAtomically(resolvConf, Array(text.utf8), durable: false)
            } else {
                // A host without /etc/resolv.conf gives the pod an empty one, as containerd does.
                try FileSystem.writeAtomically(resolvConf, (try? FileSystem.readFile("/etc/resolv.conf")) ?? [], durable: false)
            }
            if config.linux.securityContext.namespaceOptions.ipc != .node {
                try FileSystem.makeDirectories(shm, mode: 0o1777)
                try Mounts.mount("shm", on: shm, type: "tmpfs", flags: Self.shmFlags,
                                 data: "mode=1777,size=\(Self.shmSize)")
            }
        } catch {
            remove()
            throw .internalError("preparing the files of the pod: \(error)")
        }
    }

    /// Writes the hosts file of a pod of its own network, with the addresses CNI gave it (for
    /// host network `create` copied the host's).
    func recordAddresses(hostname name: String, ips: [String]) throws(CRIError) {
        do {
            try FileSystem.writeAtomically(hosts, Array(PodFilesContent.hosts(hostname: name, ips: ips).utf8), durable: false)
        } catch {
            throw .internalError("writing the hosts file of the pod: \(error)")
        }
    }

    func unmountShm() {
        while Mounts.isMountPoint(shm) {
            if !Mounts.unmount(shm) { break }
        }
    }

    func remove() {
        unmountShm()
        FileSystem.removeTree(directory)
    }

    static var shmFlags: UInt { UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC) }
}
