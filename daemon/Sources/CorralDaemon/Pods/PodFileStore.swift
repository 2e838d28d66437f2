import CRIAPI
import CorralSpec
import CorralSystem

/// The files a pod's containers share (hostname, hosts, resolv.conf, the /dev/shm tmpfs), kept by
/// the daemon: `PodFileDirectories` on the host, a fake in the daemon's unit tests.
protocol PodFileStore: Sendable {
    func create(pod: String, config: Runtime_V1_PodSandboxConfig, hostname: String) throws(CRIError)
    /// The hosts file of a pod of its own network, once CNI gave it addresses.
    func recordAddresses(pod: String, hostname: String, ips: [String]) throws(CRIError)
    func unmountShm(pod: String)
    func remove(pod: String)
    /// Every pod that has files here, recorded or not.
    func pods() -> [String]
    /// Where a container of the pod finds them.
    func mounts(pod: String) -> PodFileMounts
    func directory(pod: String) -> String
}

/// Each pod's files in `<state>/sandboxes/<id>`.
struct PodFileDirectories: PodFileStore {
    let sandboxesDir: String

    private func files(_ pod: String) -> PodFiles { PodFiles(sandboxesDir: sandboxesDir, id: pod) }

    func create(pod: String, config: Runtime_V1_PodSandboxConfig, hostname: String) throws(CRIError) {
        try files(pod).create(config: config, hostname: hostname)
    }

    func recordAddresses(pod: String, hostname: String, ips: [String]) throws(CRIError) {
        try files(pod).recordAddresses(hostname: hostname, ips: ips)
    }

    func unmountShm(pod: String) { files(pod).unmountShm() }
    func remove(pod: String) { files(pod).remove() }
    func pods() -> [String] { (try? FileSystem.listDirectory(sandboxesDir)) ?? [] }
    func directory(pod: String) -> String { files(pod).directory }

    func mounts(pod: String) -> PodFileMounts {
        let files = files(pod)
        return PodFileMounts(hosts: files.hosts, resolvConf: files.resolvConf, hostname: files.hostname, shm: files.shm)
    }
}
