import CorralSpec
import Foundation
import OCISpec
import Testing

@Suite("JSON: runtime-spec key spelling and round trip")
struct JSONTests {
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func roundTrip() throws {
        let input = makeInput {
            $0.linux.securityContext.noNewPrivs = true
            $0.linux.securityContext.seccompProfilePath = "runtime/default"
            $0.linux.resources.memoryLimitInBytes = 1 << 30
            $0.devices = [DeviceTests.device("/dev/mynull", "/dev/null")]
        }
        let original = try makeContainerSpec(input)
        let decoded = try Spec(jsonBytes: try original.jsonBytes())
        #expect(decoded == original)
        #expect(try decoded.jsonBytes() == original.jsonBytes())
    }

    @Test func keySpelling() throws {
        let input = makeInput {
            $0.linux.securityContext.noNewPrivs = true
            $0.linux.securityContext.seccompProfilePath = "runtime/default"
            $0.linux.resources.cpuShares = 100
            $0.linux.resources.memoryLimitInBytes = 1 << 30
            $0.linux.securityContext.supplementalGroups = [7]
            $0.devices = [DeviceTests.device("/dev/mynull", "/dev/null")]
        }
        let json = try Self.object(try makeContainerSpec(input).jsonBytes())
        #expect(json["ociVersion"] as? String == "1.0.2")
        let process = try #require(json["process"] as? [String: Any])
        #expect(process["noNewPrivileges"] as? Bool == true)
        #expect(process["oomScoreAdj"] as? Int == 0)
        #expect(Set(process.keys).isSuperset(of: ["user", "args", "env", "cwd", "capabilities", "rlimits", "terminal"]))
        let user = try #require(process["user"] as? [String: Any])
        #expect(user["additionalGids"] as? [Int] == [0, 7, 10])
        let rlimit = try #require((process["rlimits"] as? [[String: Any]])?.first)
        #expect(rlimit["type"] as? String == "RLIMIT_NOFILE")
        let linux = try #require(json["linux"] as? [String: Any])
        #expect(linux["cgroupsPath"] as? String == "/corral/pod/c0ffee")
        #expect(Set(linux.keys).isSuperset(of: ["namespaces", "resources", "seccomp", "maskedPaths", "readonlyPaths", "devices"]))
        let seccomp = try #require(linux["seccomp"] as? [String: Any])
        #expect(seccomp["defaultAction"] as? String == "SCMP_ACT_ERRNO")
        #expect(seccomp["defaultErrnoRet"] as? Int == 1)
        let rule = try #require((seccomp["syscalls"] as? [[String: Any]])?.first { ($0["names"] as? [String]) == ["clone"] })
        let argument = try #require((rule["args"] as? [[String: Any]])?.first)
        #expect(Set(argument.keys) == ["index", "value", "valueTwo", "op"])
        let resources = try #require(linux["resources"] as? [String: Any])
        #expect((resources["cpu"] as? [String: Any])?["shares"] as? Int == 100)
        #expect((resources["memory"] as? [String: Any])?["limit"] as? Int == 1 << 30)
        let device = try #require((linux["devices"] as? [[String: Any]])?.first)
        #expect(Set(device.keys) == ["path", "type", "major", "minor", "fileMode", "uid", "gid"])
        let namespace = try #require((linux["namespaces"] as? [[String: Any]])?.first)
        #expect(namespace["type"] as? String == "pid")
        let mount = try #require((json["mounts"] as? [[String: Any]])?.first)
        #expect(Set(mount.keys) == ["destination", "type", "source", "options"])
    }

    @Test func nilFieldsAreLeftOut() throws {
        let json = try Self.object(try Spec(process: OCISpec.Process(args: ["/bin/true"])).jsonBytes())
        #expect(Set(json.keys) == ["ociVersion", "process"])
        let process = try #require(json["process"] as? [String: Any])
        #expect(Set(process.keys) == ["user", "args", "cwd"])
        #expect((process["user"] as? [String: Any]).map { Set($0.keys) } == ["uid", "gid"])
    }

    @Test func decodesWhatRuncWrites() throws {
        // The shape of `runc spec`'s output, trimmed.
        let text = """
        {"ociVersion": "1.0.2-dev",
         "process": {"terminal": true, "user": {"uid": 0, "gid": 0}, "args": ["sh"],
                     "env": ["PATH=/bin", "TERM=xterm"], "cwd": "/",
                     "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
                                      "ambient": ["CAP_KILL"]},
                     "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}], "noNewPrivileges": true},
         "root": {"path": "rootfs", "readonly": true}, "hostname": "runc",
         "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
         "linux": {"resources": {"devices": [{"allow": false, "access": "rwm"}]},
                   "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
                   "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]}}
        """
        let decoded = try Spec(jsonBytes: Array(text.utf8))
        #expect(decoded.process?.capabilities?.ambient == ["CAP_KILL"])
        #expect(decoded.linux?.namespaces?.count == 6)
        #expect(decoded.root == Root(path: "rootfs", readonly: true))
    }

    @Test func execProcessFile() throws {
        let process = makeExecProcess(container: try makeContainerSpec(makeInput()), command: ["ls"], terminal: true)
        let json = try Self.object(try process.jsonBytes())
        #expect(json["args"] as? [String] == ["ls"])
        #expect(json["terminal"] as? Bool == true)
    }
}
