import CorralSpec
import CRIAPI
import OCISpec
import Testing

@Suite("Security: paths, no_new_privs, sysctls, AppArmor, annotations")
struct SecurityTests {
    @Test func defaultMaskedAndReadonlyPaths() throws {
        let linux = try spec(makeInput()).linux
        #expect(linux?.maskedPaths == ContainerDefaults.maskedPaths)
        #expect(linux?.maskedPaths?.contains("/proc/kcore") == true)
        #expect(linux?.readonlyPaths == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
    }

    @Test func requestPathsReplaceTheDefaults() throws {
        let linux = try spec(makeInput {
            $0.linux.securityContext.maskedPaths = ["/proc/secret"]
            $0.linux.securityContext.readonlyPaths = ["/proc/sys"]
        }).linux
        #expect(linux?.maskedPaths == ["/proc/secret"])
        #expect(linux?.readonlyPaths == ["/proc/sys"])
    }

    @Test func relativeMaskedPathIsRefused() {
        let input = makeInput { $0.linux.securityContext.maskedPaths = ["proc/kcore"] }
        #expect(specError { try makeContainerSpec(input) }
                == .invalidArgument("linux.security_context.masked_paths[0] \"proc/kcore\": not an absolute path"))
    }

    @Test(arguments: [true, false])
    func noNewPrivileges(_ value: Bool) throws {
        #expect(try spec(makeInput { $0.linux.securityContext.noNewPrivs = value }).process?.noNewPrivileges == value)
    }

    @Test func podSysctlsApply() throws {
        let result = try spec(makeInput(sandbox: {
            $0.linux.sysctls = ["net.ipv4.ip_unprivileged_port_start": "0", "kernel.shmmax": "1000000",
                                "fs.mqueue.msg_max": "20", "kernel.sem": "250 32000 32 128"]
        }))
        #expect(result.linux?.sysctl?["net.ipv4.ip_unprivileged_port_start"] == "0")
        #expect(result.linux?.sysctl?.count == 4)
    }

    struct SysctlCase: Sendable, CustomTestStringConvertible {
        var name: String
        var hostNetwork = false
        var hostIPC = false
        var reason: String?
        var testDescription: String { "\(name) net=\(hostNetwork) ipc=\(hostIPC)" }
    }

    @Test(arguments: [
        SysctlCase(name: "net.core.somaxconn"),
        SysctlCase(name: "net/ipv4/conf/eth0.100/forwarding"),
        SysctlCase(name: "kernel.msgmax"),
        SysctlCase(name: "kernel.shm_rmid_forced"),
        SysctlCase(name: "kernel.sem"),
        SysctlCase(name: "fs.mqueue.queues_max"),
        SysctlCase(name: "kernel.hostname", reason: "not a namespaced sysctl, a pod may not set it"),
        SysctlCase(name: "vm.swappiness", reason: "not a namespaced sysctl, a pod may not set it"),
        SysctlCase(name: "kernel.semaphores", reason: "not a namespaced sysctl, a pod may not set it"),
        SysctlCase(name: "net.ipv4.ip_forward", hostNetwork: true, reason: "a network sysctl in a pod on the host's network"),
        SysctlCase(name: "kernel.shmmax", hostIPC: true,
                   reason: "an IPC sysctl in a pod sharing the host's IPC namespace"),
        SysctlCase(name: "kernel.shmmax", hostNetwork: true),
        SysctlCase(name: "net.ipv4.../x", reason: "not a sysctl name"),
    ])
    func sysctlRules(_ test: SysctlCase) {
        let error = specError {
            try Sysctls.validate([test.name: "1"], hostNetwork: test.hostNetwork, hostIPC: test.hostIPC)
        }
        #expect(error == test.reason.map { SpecError.invalidArgument("linux.sysctls \"\(test.name)\": \($0)") })
    }

    @Test func unknownPodSysctlFailsTheContainer() {
        let input = makeInput(sandbox: { $0.linux.sysctls = ["kernel.panic": "1"] })
        #expect(specError { try makeContainerSpec(input) }
                == .invalidArgument("sandbox linux.sysctls \"kernel.panic\": not a namespaced sysctl, a pod may not set it"))
    }

    @Test func podSysctlValidationForRunPodSandbox() {
        var config = Runtime_V1_PodSandboxConfig()
        config.linux.sysctls = ["net.ipv4.ip_forward": "1"]
        #expect(specError { try PodFilesContent.validateSysctls(config) } == nil)
        config.linux.securityContext.namespaceOptions.network = .node
        #expect(specError { try PodFilesContent.validateSysctls(config) } != nil)
    }

    static func appArmor(_ type: Runtime_V1_SecurityProfile.ProfileType, _ reference: String = "") -> Runtime_V1_SecurityProfile {
        var profile = Runtime_V1_SecurityProfile()
        profile.profileType = type
        profile.localhostRef = reference
        return profile
    }

    @Test func appArmorIgnoredWithoutAppArmor() throws {
        let input = makeInput { $0.linux.securityContext.apparmor = Self.appArmor(.localhost, "my-profile") }
        #expect(try spec(input).process?.apparmorProfile == nil)
    }

    @Test(arguments: [
        (Runtime_V1_SecurityProfile.ProfileType.runtimeDefault, "", AppArmor.defaultProfile as String?),
        (.unconfined, "", nil),
        (.localhost, "localhost/my-profile", "my-profile"),
        (.localhost, "other", "other"),
    ])
    func appArmorWithAppArmor(type: Runtime_V1_SecurityProfile.ProfileType, reference: String, expected: String?) throws {
        var input = makeInput { $0.linux.securityContext.apparmor = Self.appArmor(type, reference) }
        input.hostHasAppArmor = true
        #expect(try spec(input).process?.apparmorProfile == expected)
    }

    @Test func deprecatedAppArmorStrings() throws {
        var input = makeInput { $0.linux.securityContext.apparmorProfile = "localhost/legacy" }
        input.hostHasAppArmor = true
        #expect(try spec(input).process?.apparmorProfile == "legacy")
        input.config.linux.securityContext.apparmorProfile = ""
        #expect(try spec(input).process?.apparmorProfile == AppArmor.defaultProfile)
        input.config.linux.securityContext.apparmorProfile = "bogus"
        #expect(specError { try makeContainerSpec(input) }?.message.contains("apparmor_profile \"bogus\"") == true)
    }

    @Test func annotations() throws {
        let result = try spec(makeInput { $0.annotations = ["team": "web", CRIAnnotations.sandboxID: "forged"] })
        #expect(result.annotations == [
            "team": "web",
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.container-name": "app",
            "io.kubernetes.cri.sandbox-id": "5a4d",
            "io.kubernetes.cri.sandbox-name": "web",
            "io.kubernetes.cri.sandbox-namespace": "default",
            "io.kubernetes.cri.sandbox-uid": "uid-1234",
            "io.kubernetes.cri.image-name": "docker.io/library/app:1",
        ])
    }
}
