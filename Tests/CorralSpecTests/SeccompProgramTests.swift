import CorralSpec
import CRIAPI
import OCISpec
import Testing

@Suite("Seccomp filters compiled to BPF for the shim")
struct SeccompProgramTests {
    @Test func theDefaultProfileCompiles() throws {
        let seccomp = try #require(try spec(makeInput {
            $0.linux.securityContext.seccomp = SeccompTests.profile(.runtimeDefault)
        }).linux?.seccomp)
        let program = try SeccompProgram.compile(seccomp)
        // Whole sock_filter instructions, and more than a handful: one check per allowed syscall.
        #expect(program.count % 8 == 0)
        #expect(program.count / 8 > 300)
        // The same profile again comes from the cache, as the same bytes.
        #expect(try SeccompProgram.compiled(seccomp) == program)
        #expect(try SeccompProgram.compiled(seccomp) == program)
    }

    @Test func conditionsOnOneArgumentAreEitherNotBoth() throws {
        let profile = LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            LinuxSyscall(names: ["personality"], action: "SCMP_ACT_ALLOW", args: [
                LinuxSeccompArg(index: 0, value: 0, op: "SCMP_CMP_EQ"),
                LinuxSeccompArg(index: 0, value: 8, op: "SCMP_CMP_EQ"),
            ]),
            LinuxSyscall(names: ["no_such_syscall_here"], action: "SCMP_ACT_ALLOW"),
            // The default action again: skipped, as runc skips it, rather than refused.
            LinuxSyscall(names: ["read"], action: "SCMP_ACT_ERRNO"),
        ])
        #expect(try SeccompProgram.compile(profile).count % 8 == 0)
    }

    @Test func whatTheShimCannotLoadIsRefused() {
        let notify = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            LinuxSyscall(names: ["mkdir"], action: "SCMP_ACT_NOTIFY"),
        ])
        #expect(throws: SeccompProgram.Unsupported.self) { try SeccompProgram.compile(notify) }
        let architecture = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_NOPE"])
        #expect(throws: SeccompProgram.Unsupported.self) { try SeccompProgram.compile(architecture) }
    }
}

