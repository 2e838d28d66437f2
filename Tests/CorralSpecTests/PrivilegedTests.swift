import CorralSpec
import CRIAPI
import OCISpec
import Testing

@Suite("Privileged containers")
struct PrivilegedTests {
    static func privilegedInput() -> ContainerSpecInput {
        var input = makeInput(container: {
            $0.linux.securityContext.privileged = true
            $0.linux.securityContext.capabilities.dropCapabilities = ["ALL"]
            var profile = Runtime_V1_SecurityProfile()
            profile.profileType = .runtimeDefault
            $0.linux.securityContext.seccomp = profile
        }, sandbox: { $0.linux.securityContext.privileged = true })
        input.host.capabilities = Capabilities.known.filter { $0 != "CAP_SYS_RESOURCE" }
        return input
    }

    @Test func everyCapabilityTheHostHas() throws {
        let capabilities = try spec(Self.privilegedInput()).process?.capabilities
        let expected = Capabilities.known.filter { $0 != "CAP_SYS_RESOURCE" }
        #expect(capabilities?.bounding == expected)
        #expect(capabilities?.effective == expected)
        #expect(capabilities?.permitted == expected)
    }

    @Test func noConfinement() throws {
        let result = try spec(Self.privilegedInput())
        #expect(result.linux?.seccomp == nil)
        #expect(result.linux?.maskedPaths == nil)
        #expect(result.linux?.readonlyPaths == nil)
        #expect(result.process?.apparmorProfile == nil)
    }

    @Test func sysfsAndCgroupWritable() throws {
        let result = try spec(Self.privilegedInput())
        #expect(result.mount(at: "/sys")?.options == ["nosuid", "noexec", "nodev", "rw"])
        #expect(result.mount(at: "/sys/fs/cgroup")?.options?.contains("rw") == true)
        #expect(result.mount(at: "/sys/fs/cgroup")?.options?.contains("ro") == false)
    }

    @Test func hostDevicesAllAllowed() throws {
        let result = try spec(Self.privilegedInput())
        let devices = result.linux?.devices ?? []
        let null = devices.first { $0.path == "/dev/null" }
        #expect(null?.type == "c")
        #expect(null?.major == 1)
        #expect(null?.minor == 3)
        #expect(!devices.contains { $0.path.hasPrefix("/dev/pts/") || $0.path == "/dev/console" })
        #expect(result.linux?.resources?.devices == [LinuxDeviceCgroup(allow: true, access: "rwm")])
    }

    @Test func refusedInAnUnprivilegedPod() {
        let input = makeInput { $0.linux.securityContext.privileged = true }
        let error = specError { try makeContainerSpec(input) }
        #expect(error == .invalidArgument("linux.security_context.privileged: the pod sandbox is not privileged"))
    }

    @Test func unprivilegedSysfsAndCgroupReadOnly() throws {
        let result = try spec(makeInput())
        #expect(result.mount(at: "/sys")?.options?.last == "ro")
        #expect(result.mount(at: "/sys/fs/cgroup")?.options?.last == "ro")
        #expect(result.linux?.resources?.devices == [LinuxDeviceCgroup(allow: false, access: "rwm")])
    }
}
