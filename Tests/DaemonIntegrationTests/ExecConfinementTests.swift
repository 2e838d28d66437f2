import CRIAPI
import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An exec the shim starts keeps the container's confinement: the daemon compiles the container's
/// seccomp filter into its bundle, and the exec'd process runs under it.
@Suite("exec confinement through corrald", .serialized, .enabled(if: DaemonFixture.available))
struct ExecConfinementTests {
    @Test func execsInARuntimeDefaultContainerRunUnderItsFilter() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("confined")
            var config = daemon.containerConfig("box", ["sleep", "300"])
            config.linux.securityContext.seccomp = .with { $0.profileType = .runtimeDefault }
            let created = try await daemon.runtime.createContainer(.with {
                $0.podSandboxID = pod
                $0.config = config
                $0.sandboxConfig = daemon.podConfig("confined")
            })
            _ = try await daemon.runtime.startContainer(.with { $0.containerID = created.containerID })
            let exec = try await daemon.runtime.execSync(.with {
                $0.containerID = created.containerID
                $0.cmd = ["grep", "-E", "^Seccomp", "/proc/self/status"]
                $0.timeout = 10
            })
            let output = String(decoding: exec.stdout, as: UTF8.self)
            #expect(exec.exitCode == 0)
            #expect(output.contains("Seccomp:\t2"), "\(output)")
            #expect(output.contains("Seccomp_filters:\t1"), "\(output)")
            // A call the default profile refuses without CAP_SYS_ADMIN: unshare(CLONE_NEWUTS).
            let refused = try await daemon.runtime.execSync(.with {
                $0.containerID = created.containerID
                $0.cmd = ["unshare", "-u", "true"]
                $0.timeout = 10
            })
            #expect(refused.exitCode != 0)
            #expect(String(decoding: refused.stderr, as: UTF8.self).contains("not permitted"))
        }
    }

    /// The shim's executable is what an exec'd process has as /proc/self/exe until it execs: it
    /// is reached through a read-only mount, so not even root can write it that way.
    @Test func shimsRunFromAReadOnlyMount() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("sealed")
            let data = try Data(contentsOf: URL(fileURLWithPath: daemon.state + "/pods/\(pod)/bootstrap.json"))
            let shim = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["pid"] as? Int)
            let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(shim)/exe")
            #expect(exe == daemon.state + "/bin/corral-shim")
            // Read-only as a mount, not merely busy: ETXTBSY ends with the last shim, EROFS does not.
            var info = statvfs()
            #expect(statvfs("/proc/\(shim)/exe", &info) == 0)
            #expect(info.f_flag & UInt(ST_RDONLY) != 0)
            let fd = open("/proc/\(shim)/exe", O_WRONLY)
            let error = errno
            if fd >= 0 { close(fd) }
            #expect(fd < 0 && (error == EROFS || error == ETXTBSY))
        }
    }
}
