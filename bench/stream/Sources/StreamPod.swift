import CRIAPI
import Foundation

/// The bench's pod: busybox servers on the pod's localhost, one container each, so that
/// port-forward moves bytes as fast as the runtime lets it. `dd` with 64 KiB blocks, because
/// busybox's head and wc go a few bytes at a time and would be what is measured.
struct StreamPod: Sendable {
    static let sourcePort: Int32 = 9001
    static let sinkPort: Int32 = 9002

    var benchName: String
    var image: String
    var logDirectory: String
    var cgroupParent: String
    /// Bytes the source sends per connection: whole 64 KiB blocks.
    var transferBytes: Int
    var tag = String(UUID().uuidString.prefix(8)).lowercased()

    var sandbox: Runtime_V1_PodSandboxConfig {
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata.name = "stream-\(benchName)-\(tag)"
        config.metadata.namespace = "corral-bench"
        config.metadata.uid = UUID().uuidString.lowercased()
        config.hostname = "stream-bench"
        config.logDirectory = logDirectory
        config.labels = ["corral-bench": "stream-\(benchName)"]
        config.linux.cgroupParent = cgroupParent
        return config
    }

    /// Each connection to the source gets `transferBytes` of zeros, then end of file.
    var source: Runtime_V1_ContainerConfig {
        container("source", ["nc", "-ll", "-p", "\(Self.sourcePort)", "-e",
                             "dd", "if=/dev/zero", "bs=65536", "count=\(transferBytes / 65536)"])
    }

    /// Each connection to the sink is answered "done" once `transferBytes` arrived. By count, not
    /// at end of file: containerd does not pass a client's half-close on to the pod, it closes
    /// the whole connection a second later.
    var sink: Runtime_V1_ContainerConfig {
        container("sink", ["nc", "-ll", "-p", "\(Self.sinkPort)", "-e", "sh", "-c",
                           "dd of=/dev/null bs=65536 count=\(transferBytes) iflag=count_bytes,fullblock 2>/dev/null; echo done"])
    }

    private func container(_ name: String, _ command: [String]) -> Runtime_V1_ContainerConfig {
        var config = Runtime_V1_ContainerConfig()
        config.metadata.name = name
        config.image.image = image
        config.command = command
        config.logPath = name + ".log"
        config.linux = Runtime_V1_LinuxContainerConfig()
        return config
    }
}
