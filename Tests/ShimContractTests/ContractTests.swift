import CorralJSON
import CorralSystem
import ShimContract
import TestSupport
import Testing

/// The daemon–shim contract: what a shim of one build writes, a corrald or a `corral-shim delete`
/// of another reads, and which protocol versions a corrald drives.
@Suite("shim contract")
struct ContractTests {
    @Test func aCorraldDrivesTheVersionsItUnderstandsAndNamesTheOthers() throws {
        try ShimProtocol.check(ShimProtocol.version)
        #expect(ShimProtocol.understood.contains(ShimProtocol.version))
        #expect(throws: ShimProtocol.Mismatch(version: ShimProtocol.understood.upperBound + 1)) {
            try ShimProtocol.check(ShimProtocol.understood.upperBound + 1)
        }
        let message = ShimProtocol.Mismatch(version: 7).description
        #expect(message.contains("protocol 7") && message.contains("speaks \(ShimProtocol.understood.lowerBound)"), "\(message)")
    }

    @Test func startPrintsTheRecordAndAnOlderShimsBareAddressStillReads() {
        let record = Bootstrap(address: "unix:///run/corral/s/0123456789abcdef.sock", pid: 4242)
        #expect(!record.line.contains("\n"))
        #expect(Bootstrap(startOutput: record.line + "\n") == record)
        #expect(Bootstrap(startOutput: "unix:///run/corral/s/x.sock\n")
                == Bootstrap(protocolVersion: 1, address: "unix:///run/corral/s/x.sock", pid: 0))
        #expect(Bootstrap(startOutput: "") == nil)
        #expect(Bootstrap(startOutput: #"{"version":1,"address":"tcp://1.2.3.4:5","pid":1}"#) == nil)
        #expect(Bootstrap(startOutput: "corral-shim start: something failed") == nil)
    }

    @Test func stateFilesRoundTrip() throws {
        let dir = try TemporaryDirectory("contract")
        defer { dir.remove() }
        let bootstrap = Bootstrap(address: "unix:///s/a \"quoted\".sock", pid: 7)
        try bootstrap.write(to: dir.path + "/bootstrap.json")
        #expect(Bootstrap.read(from: dir.path + "/bootstrap.json") == bootstrap)

        let sandbox = SandboxRecord(id: "pod", state: 2, networkNamespace: "/ns/net", ipcNamespace: "/ns/ipc",
                                    utsNamespace: "/ns/uts", initPID: 99,
                                    networks: [.init(config: #"{"name":"n"}"#, result: "{}"),
                                               .init(config: #"{"name":"m"}"#, result: "", interfaceName: "eth1")],
                                    cniBinDirectories: ["/opt/cni/bin", "/usr/lib/cni"], podName: "p",
                                    podNamespace: "default", podUID: "u-1", cgroupParent: "/kubepods")
        try sandbox.write(to: dir.path + "/sandbox.json")
        #expect(SandboxRecord.read(from: dir.path + "/sandbox.json") == sandbox)

        let task = TaskFile(id: "c", execID: "e", pid: 12, bundle: "/b", runtime: "runc", rootfsMounted: true)
        try task.write(to: dir.path + "/task.json")
        #expect(TaskFile.read(from: dir.path + "/task.json") == task)

        for exit in [ExitRecord(status: 137, exitedAtWallNanos: 1_700_000_000_123_456_789, oomKilled: true, signal: 9),
                     ExitRecord(status: 0, exitedAtWallNanos: 1, oomKilled: false, signal: nil)] {
            try exit.write(to: dir.path + "/exit.json")
            #expect(ExitRecord.read(from: dir.path + "/exit.json") == exit)
        }
        #expect(ExitRecord(status: 137, exitedAtWallNanos: 1, oomKilled: true, signal: 9).reason == "OOMKilled")
        #expect(ExitRecord(status: 1, exitedAtWallNanos: 1, oomKilled: false, signal: nil).reason == "Error")
    }

    /// Files a shim of the previous build left (written by hand, indented, in its key order) read
    /// the same: `corral-shim delete` and corrald must understand what a running shim wrote.
    @Test func filesOfThePreviousFormatRead() throws {
        let dir = try TemporaryDirectory("contract")
        defer { dir.remove() }
        try FileSystem.writeAtomically(dir.path + "/sandbox.json", Array("""
            {
              "id": "pod",
              "state": 1,
              "netns": "/state/ns/net",
              "ipc": "",
              "uts": "/state/ns/uts",
              "init_pid": 0,
              "cni_config": "{\\"name\\":\\"n\\"}",
              "cni_result": "{}",
              "cni_bin_dirs": "/usr/lib/cni",
              "pod_name": "web",
              "pod_namespace": "default",
              "pod_uid": "uid",
              "cgroup_parent": ""
            }

            """.utf8))
        let sandbox = try #require(SandboxRecord.read(from: dir.path + "/sandbox.json"))
        #expect(sandbox.networkNamespace == "/state/ns/net" && sandbox.cniBinDirectories == ["/usr/lib/cni"] && sandbox.podName == "web")
        #expect(sandbox.networks == [.init(config: #"{"name":"n"}"#, result: "{}", interfaceName: "eth0")])
        try FileSystem.writeAtomically(dir.path + "/task.json", Array("""
            {
              "id": "c1",
              "exec_id": "",
              "pid": 321,
              "bundle": "/state/containers/c1",
              "runtime": "runc",
              "rootfs_mounted": 1
            }

            """.utf8))
        #expect(TaskFile.read(from: dir.path + "/task.json")
                == TaskFile(id: "c1", pid: 321, bundle: "/state/containers/c1", runtime: "runc", rootfsMounted: true))
        #expect(TaskFile.read(from: dir.path + "/missing.json") == nil)
        try FileSystem.writeAtomically(dir.path + "/broken.json", Array("{\"id\": ".utf8))
        #expect(TaskFile.read(from: dir.path + "/broken.json") == nil)
    }

    @Test func pathsAreShortAndStable() {
        let deep = "/" + (0..<20).map { _ in "a-long-directory-name" }.joined(separator: "/")
        let paths = ShimPaths(stateDir: deep, socketDir: "/run/corral/s")
        #expect(paths.socketPath.utf8.count < 108)
        #expect(paths.socketPath == ShimPaths(stateDir: deep, socketDir: "/run/corral/s").socketPath)
        #expect(paths.task("c") == deep + "/tasks/c" && paths.task("c", exec: "e") == deep + "/tasks/c@e")
        #expect(paths.consoleSocket(for: "c").hasPrefix(String(paths.socketPath.dropLast(5))))
    }
}
