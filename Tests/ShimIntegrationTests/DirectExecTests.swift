import CorralSpec
import CorralSystem
import Foundation
import OCISpec
import ShimAPI
import TTRPC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Execs the shim starts itself must be the processes `runc exec` would start: the same
/// identity, confinement, namespaces and cgroups. Each case runs once through the shim and once
/// through runc (`--exec-via-runtime`), and the two processes must describe themselves alike.
@Suite("execs started by the shim", .serialized, .enabled(if: getuid() == 0 && ShimHarness.binaryExists && BusyboxImage.available))
struct DirectExecTests {
    /// mkdir refused with EACCES, as a profile rule the test can see from inside.
    static var seccomp: [String: Any] { [
        "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13]],
    ] }

    static var seccompProgram: [UInt8] {
        get throws {
            try SeccompProgram.compile(LinuxSeccomp(
                defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                syscalls: [LinuxSyscall(names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13)]))
        }
    }

    /// A non-root process with a few capabilities (one ambient), groups, limits, umask, cwd and
    /// no HOME in its environment.
    static let process = #"""
        {"args":["sh","-c","grep -E '^(Uid|Gid|Groups|Cap|NoNewPrivs|Seccomp|SigBlk|SigIgn)' /proc/self/status; echo cwd=$(pwd); echo home=$HOME; echo umask=$(umask); echo nofile=$(ulimit -n); echo core=$(ulimit -c); echo oom=$(cat /proc/self/oom_score_adj); echo session=$(awk '{print ($1==$6) ? \"leader\" : \"member\"}' /proc/$$/stat); mkdir /tmp/denied 2>&1; echo stdout owner $(stat -L -c '%u %g' /proc/self/fd/1); for ns in ipc uts net pid mnt cgroup; do echo ns $ns $(readlink /proc/self/ns/$ns); done; sed 's/^/cgroup /' /proc/self/cgroup"],
         "cwd":"/tmp","env":["PATH=/bin"],"user":{"uid":1000,"gid":1000,"additionalGids":[10,20],"umask":23},
         "capabilities":{"bounding":["CAP_KILL","CAP_NET_RAW","CAP_CHOWN"],"effective":["CAP_KILL","CAP_NET_RAW"],
           "permitted":["CAP_KILL","CAP_NET_RAW"],"inheritable":["CAP_NET_RAW"],"ambient":["CAP_NET_RAW"]},
         "rlimits":[{"type":"RLIMIT_NOFILE","hard":2000,"soft":1000},{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615}],"noNewPrivileges":true,"oomScoreAdj":500,
         "terminal":false}
        """#

    /// What a process in pod's "box" prints about itself, exec'd through the shim or runc.
    func describe(viaRuntime: Bool) async throws -> (output: String, containerPID: Int32) {
        var output = ""
        var containerPID: Int32 = 0
        try await withPod { pod in
            if viaRuntime { pod.shimFlags = ["--exec-via-runtime"] }
            try await pod.run()
            containerPID = Int32(try await pod.runContainer(
                "box", ["sleep", "300"], .init(seccomp: Self.seccomp, seccompProgram: try Self.seccompProgram,
                                               runtimePath: try pod.tracedRuntime())))
            let result = try await pod.client.call(TaskMethods.exec, .with {
                $0.id = "box"
                $0.execID = "describe"
                $0.sync = true
                $0.spec = Data(Self.process.utf8)
            }, timeout: .seconds(30))
            #expect(result.exitStatus == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
            output = String(decoding: result.stdout, as: UTF8.self)
            // Same namespaces and cgroups as the container's own process.
            for line in output.split(separator: "\n") where line.hasPrefix("ns ") {
                let parts = line.split(separator: " ")
                let theirs = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(containerPID)/ns/\(parts[1])")) ?? "?"
                #expect(String(parts[2]) == theirs, "namespace \(parts[1])")
            }
            let cgroups = output.split(separator: "\n").filter { $0.hasPrefix("cgroup ") }.map { String($0.dropFirst(7)) }
            let expected = try FileSystem.readText("/proc/\(containerPID)/cgroup").split(separator: "\n").map(String.init)
            #expect(cgroups == expected)
            // Neither the shim's helper nor the process is left unreaped.
            #expect(Self.children(of: pod.shimPID).filter { $0 != containerPID }.isEmpty)
            // The two paths really differ: runc ran this exec, or no exec at all.
            #expect(pod.runtimeRuns(of: "create") == 1)
            #expect(pod.runtimeRuns(of: "exec") == (viaRuntime ? 1 : 0))
        }
        return (output, containerPID)
    }

    /// Lines that differ between two pods by nature (namespace and cgroup names) are left out,
    /// and so are three things Debian's runc 1.1.5 does not apply to an exec, seen here: the
    /// process's umask (runc's own 0022 instead), its soft RLIMIT_NOFILE (the hard limit: Go
    /// 1.19 raises runc's own, and runc 1.1.5 then leaves it), and its oom_score_adj (the
    /// shim's). The shim applies all three as the spec says, which the test checks apart.
    static func comparable(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { line in
            !["ns ", "cgroup ", "umask=", "nofile=", "oom="].contains { line.hasPrefix($0) }
        }
    }

    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileSystem.listDirectory("/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? FileSystem.readText("/proc/\(pid)/task/\(task)/children")) ?? "").split(separator: " ").compactMap { Int32($0) }
        }
    }

    @Test func startsTheProcessRuncExecWould() async throws {
        let direct = try await describe(viaRuntime: false).output
        let runc = try await describe(viaRuntime: true).output
        #expect(Self.comparable(direct) == Self.comparable(runc))
        // And the values are what the spec asked for, not merely equal.
        #expect(direct.contains("Uid:\t1000\t1000\t1000\t1000"))
        #expect(direct.contains("Groups:\t10 20"))
        #expect(direct.contains("NoNewPrivs:\t1"))
        #expect(direct.contains("Seccomp:\t2"))
        #expect(direct.contains("CapAmb:\t0000000000002000"))
        #expect(direct.contains("CapBnd:\t0000000000002021"))
        // Nothing of the shim's signal mask or ignored signals: a ping's SIGALRM arrives. (Bit 31,
        // signal 32, is glibc's own, which runc's exec leaves ignored too.)
        let ignored = direct.split(separator: "\n").first { $0.hasPrefix("SigIgn:\t") }.flatMap { UInt64($0.dropFirst(8), radix: 16) }
        #expect(direct.contains("SigBlk:\t0000000000000000") && ignored.map { $0 & 0x7fff_ffff } == 0,
                "\(direct.split(separator: "\n").filter { $0.hasPrefix("Sig") })")
        for line in ["cwd=/tmp", "home=/", "umask=0027", "nofile=1000", "core=unlimited", "oom=500", "session=leader"] {
            #expect(direct.split(separator: "\n").contains(Substring(line)), "\(line)")
        }
        #expect(direct.contains("Permission denied"))  // mkdir, refused by the container's filter
        #expect(direct.contains("stdout owner 1000 "))  // stdout handed to the user, as runc does
    }

    /// runc's check against CVE-2024-21626, which no closed descriptor replaces: in the host's PID
    /// namespace a container can reach another process's working dir through /proc/PID/cwd, and
    /// an exec whose cwd leads there would start outside the container's root.
    @Test(arguments: [false, true]) func aWorkingDirOutsideTheRootIsRefused(viaRuntime: Bool) async throws {
        try await withPod { pod in
            if viaRuntime { pod.shimFlags = ["--exec-via-runtime"] }
            try await pod.run()
            let runtime = try pod.tracedRuntime()
            let victim = try await pod.runContainer("victim", ["sleep", "300"], .init(runtimePath: runtime, hostPID: true))
            let attacker = try await pod.runContainer("attacker", ["sleep", "300"], .init(runtimePath: runtime, hostPID: true))
            // The attacker's /w leads to the victim's working dir: a directory of another root.
            let link = "/proc/\(attacker)/root/w"
            #expect(symlink("/proc/\(victim)/cwd", link) == 0)
            let spec = #"{"args":["ls"],"cwd":"/w","env":["PATH=/bin"],"user":{"uid":0,"gid":0},"#
                + #""capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}}"#
            do {
                let result = try await pod.client.call(TaskMethods.exec, .with {
                    $0.id = "attacker"
                    $0.execID = "escape"
                    $0.sync = true
                    $0.spec = Data(spec.utf8)
                }, timeout: .seconds(30))
                Issue.record("the exec ran outside the root: \(String(decoding: result.stdout, as: UTF8.self))")
            } catch let error as RPCError {
                #expect(error.message.contains("current working directory is outside of container mount namespace root"),
                        "\(error.message)")
            }
            #expect(pod.runtimeRuns(of: "exec") == (viaRuntime ? 1 : 0))
        }
    }

    @Test func failuresNameTheCauseAndLeaveNothing() async throws {
        try await withPod { pod in
            try await pod.run()
            let containerPID = Int32(try await pod.runContainer("box", ["sleep", "300"]))
            let cases: [(spec: String, message: String)] = [
                (#"{"args":["no-such-program"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}"#,
                 #"exec: "no-such-program": executable file not found in $PATH"#),
                (#"{"args":["/bin/no-such-program"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}"#,
                 "exec /bin/no-such-program: No such file or directory"),
                (#"{"args":["true"],"cwd":"/no/such/dir","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}"#,
                 #"chdir to cwd ("/no/such/dir") set in config.json failed"#),
            ]
            for (index, item) in cases.enumerated() {
                do {
                    _ = try await pod.client.call(TaskMethods.exec, .with {
                        $0.id = "box"
                        $0.execID = "bad-\(index)"
                        $0.sync = true
                        $0.spec = Data(item.spec.utf8)
                    }, timeout: .seconds(30))
                    Issue.record("exec \(index) should have failed")
                } catch let error as RPCError {
                    #expect(error.message.contains(item.message), "\(error.message)")
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(Self.children(of: pod.shimPID).filter { $0 != containerPID }.isEmpty)
            // The container is untouched and still takes execs.
            let ok = try await pod.client.call(TaskMethods.exec, .with {
                $0.id = "box"
                $0.execID = "fine"
                $0.sync = true
                $0.spec = Data(#"{"args":["echo","still here"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}"#.utf8)
            }, timeout: .seconds(30))
            #expect(String(decoding: ok.stdout, as: UTF8.self) == "still here\n")
        }
    }
}
