import CorralSpec
import CRIAPI
import OCISpec
import Testing
import TestSupport

@Suite("Seccomp: RuntimeDefault, Unconfined, Localhost, deprecated strings")
struct SeccompTests {
    static func profile(_ type: Runtime_V1_SecurityProfile.ProfileType, _ reference: String = "") -> Runtime_V1_SecurityProfile {
        var profile = Runtime_V1_SecurityProfile()
        profile.profileType = type
        profile.localhostRef = reference
        return profile
    }

    static func names(_ seccomp: LinuxSeccomp?, action: String = "SCMP_ACT_ALLOW") -> Set<String> {
        Set((seccomp?.syscalls ?? []).filter { $0.action == action && ($0.args ?? []).isEmpty }.flatMap(\.names))
    }

    @Test func runtimeDefault() throws {
        let seccomp = try #require(try spec(makeInput {
            $0.linux.securityContext.seccomp = Self.profile(.runtimeDefault)
        }).linux?.seccomp)
        #expect(seccomp.defaultAction == "SCMP_ACT_ERRNO")
        #expect(seccomp.defaultErrnoRet == 1)
        #expect(seccomp.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let allowed = Self.names(seccomp)
        for name in ["read", "write", "execve", "openat", "chroot", "arch_prctl", "ptrace"] {
            #expect(allowed.contains(name), "\(name) should be allowed")
        }
        // Only with CAP_SYS_ADMIN, which the defaults lack.
        for name in ["mount", "unshare", "setns", "bpf", "reboot"] {
            #expect(!allowed.contains(name), "\(name) should not be allowed")
        }
        let clone = seccomp.syscalls?.first { $0.names == ["clone"] }
        #expect(clone?.args == [LinuxSeccompArg(index: 0, value: 0x7E02_0000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")])
        let clone3 = seccomp.syscalls?.first { $0.names == ["clone3"] }
        #expect(clone3?.action == "SCMP_ACT_ERRNO" && clone3?.errnoRet == 38)
        let socket = seccomp.syscalls?.filter { $0.names == ["socket"] }.compactMap(\.args?.first)
        #expect(socket == [LinuxSeccompArg(index: 0, value: 38, op: "SCMP_CMP_LT"),
                           LinuxSeccompArg(index: 0, value: 39, op: "SCMP_CMP_EQ"),
                           LinuxSeccompArg(index: 0, value: 40, op: "SCMP_CMP_GT")])
    }

    @Test func runtimeDefaultFollowsCapabilities() throws {
        let seccomp = try spec(makeInput {
            $0.linux.securityContext.seccomp = Self.profile(.runtimeDefault)
            $0.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN", "SYS_TIME"]
            $0.linux.securityContext.capabilities.dropCapabilities = ["SYS_CHROOT"]
        }).linux?.seccomp
        let allowed = Self.names(seccomp)
        #expect(allowed.isSuperset(of: ["mount", "umount2", "unshare", "clone", "clone3", "settimeofday"]))
        #expect(!allowed.contains("chroot"))
        #expect(seccomp?.syscalls?.contains { $0.action == "SCMP_ACT_ERRNO" } == false)
    }

    @Test func everyDefaultNameIsKnownToLibseccomp() {
        let all = DefaultSeccompProfile.make(capabilities: Capabilities.known, isKnown: { _ in true })
        let names = (all.syscalls ?? []).flatMap(\.names)
        #expect(names.count > 350)
        let unknown = names.filter { !SyscallNames.isKnown($0) }
        #expect(unknown.isEmpty, "libseccomp does not know \(unknown)")
        // What the generator ships is the same list, since nothing had to be left out here.
        #expect(DefaultSeccompProfile.make(capabilities: Capabilities.known) == all)
    }

    @Test func namesUnknownToLibseccompAreLeftOut() {
        let seccomp = DefaultSeccompProfile.make(capabilities: [], isKnown: { $0 != "read" && $0 != "clone3" })
        let names = (seccomp.syscalls ?? []).flatMap(\.names)
        #expect(!names.contains("read") && !names.contains("clone3"))
        #expect(names.contains("write"))
    }

    @Test func libseccompResolution() {
        #expect(SyscallNames.isKnown("read"))
        #expect(SyscallNames.isKnown("chown32"))
        #expect(!SyscallNames.isKnown("not_a_syscall"))
    }

    @Test(arguments: [
        ("runtime/default", true), ("docker/default", true), ("unconfined", false), ("", false),
    ])
    func deprecatedProfilePath(path: String, confined: Bool) throws {
        let seccomp = try spec(makeInput { $0.linux.securityContext.seccompProfilePath = path }).linux?.seccomp
        #expect((seccomp != nil) == confined)
    }

    @Test func unconfined() throws {
        let input = makeInput { $0.linux.securityContext.seccomp = Self.profile(.unconfined) }
        #expect(try spec(input).linux?.seccomp == nil)
    }

    static let ociProfile = """
    {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
     "syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
                  {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                   "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}
    """

    @Test func localhostProfile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("profile.json", Self.ociProfile)
        let seccomp = try spec(makeInput { $0.linux.securityContext.seccomp = Self.profile(.localhost, path) }).linux?.seccomp
        #expect(seccomp == LinuxSeccomp(
            defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, architectures: ["SCMP_ARCH_X86_64"],
            syscalls: [LinuxSyscall(names: ["read", "write", "exit_group"], action: "SCMP_ACT_ALLOW"),
                       LinuxSyscall(names: ["personality"], action: "SCMP_ACT_ALLOW",
                                    args: [LinuxSeccompArg(index: 0, value: 8, op: "SCMP_CMP_EQ")])]))
    }

    @Test func localhostThroughTheDeprecatedString() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("profile.json", Self.ociProfile)
        let input = makeInput { $0.linux.securityContext.seccompProfilePath = "localhost/" + path }
        #expect(try spec(input).linux?.seccomp?.defaultAction == "SCMP_ACT_ERRNO")
    }

    @Test func unknownSyscallIsNamed() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("bad.json", """
        {"defaultAction": "SCMP_ACT_ERRNO",
         "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                      {"names": ["write", "not_a_syscall"], "action": "SCMP_ACT_ALLOW"}]}
        """)
        let input = makeInput { $0.linux.securityContext.seccomp = Self.profile(.localhost, path) }
        let error = try #require(specError { try makeContainerSpec(input) })
        guard case .invalidArgument(let message) = error else {
            Issue.record("expected invalidArgument, got \(error)")
            return
        }
        #expect(message.contains("not_a_syscall"))
        #expect(message == "linux.security_context.seccomp.localhost_ref \"\(path)\": syscalls[1]: unknown syscall \"not_a_syscall\"")
    }

    @Test func missingProfileIsNotFound() {
        let input = makeInput { $0.linux.securityContext.seccomp = Self.profile(.localhost, "/no/such/profile.json") }
        #expect(specError { try makeContainerSpec(input) }
                == .notFound("linux.security_context.seccomp.localhost_ref \"/no/such/profile.json\": no such file or directory"))
    }

    @Test func privilegedIgnoresEvenAMissingProfile() throws {
        let input = makeInput(container: {
            $0.linux.securityContext.privileged = true
            $0.linux.securityContext.seccomp = Self.profile(.localhost, "/no/such/profile.json")
        }, sandbox: { $0.linux.securityContext.privileged = true })
        #expect(try spec(input).linux?.seccomp == nil)
    }

    @Test(arguments: [
        ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_MAYBE\"}]}",
         "syscalls[0].action \"SCMP_ACT_MAYBE\": unknown action"),
        ("{\"defaultAction\": \"SCMP_ACT_NOPE\"}", "defaultAction \"SCMP_ACT_NOPE\": unknown action"),
        ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_Z80\"]}",
         "unknown architecture \"SCMP_ARCH_Z80\""),
        ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_ABOUT\"}]}]}",
         "unknown operator \"SCMP_CMP_ABOUT\""),
        ("{\"syscalls\": []}", "not a seccomp profile (missing defaultAction)"),
        ("not json", "not a seccomp profile"),
        ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}",
         "syscalls[0]: no syscall names"),
    ])
    func malformedProfiles(json: String, expected: String) {
        let error = specError {
            try LocalhostSeccompProfile.decode(Array(json.utf8), field: "profile", capabilities: [])
        }
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func dockerFormat() throws {
        let json = """
        {"defaultAction": "SCMP_ACT_ERRNO",
         "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
         "syscalls": [
           {"name": "read", "action": "SCMP_ACT_ALLOW", "args": null},
           {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
           {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
           {"names": ["s390_runtime_instr"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
           {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
         ]}
        """
        let plain = try LocalhostSeccompProfile.decode(Array(json.utf8), field: "p", capabilities: Capabilities.defaults)
        #expect(plain.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(plain.syscalls?.map(\.names) == [["read"], ["arch_prctl"], ["clone"]])
        let admin = try LocalhostSeccompProfile.decode(Array(json.utf8), field: "p",
                                                      capabilities: Capabilities.defaults + ["CAP_SYS_ADMIN"])
        #expect(admin.syscalls?.map(\.names) == [["read"], ["mount"], ["arch_prctl"]])
    }

    @Test(arguments: [
        ("relative/profile.json", Runtime_V1_SecurityProfile.ProfileType.localhost,
         "linux.security_context.seccomp.localhost_ref \"relative/profile.json\": not an absolute path of a profile"),
        ("", .localhost, "linux.security_context.seccomp.localhost_ref \"\": not an absolute path of a profile"),
        ("/p.json", .runtimeDefault,
         "linux.security_context.seccomp.localhost_ref \"/p.json\": set for a profile type other than Localhost"),
    ])
    func badReferences(reference: String, type: Runtime_V1_SecurityProfile.ProfileType, message: String) {
        let input = makeInput { $0.linux.securityContext.seccomp = Self.profile(type, reference) }
        #expect(specError { try makeContainerSpec(input) } == .invalidArgument(message))
    }

    @Test func badDeprecatedString() {
        let input = makeInput { $0.linux.securityContext.seccompProfilePath = "strict" }
        #expect(specError { try makeContainerSpec(input) }?.message.contains("seccomp_profile_path \"strict\"") == true)
    }
}
