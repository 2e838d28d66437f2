import CorralSpec
import CRIAPI
import OCISpec
import Testing

@Suite("validate(): request checks before any work")
struct ValidationTests {
    static func config(_ configure: (inout Runtime_V1_ContainerConfig) -> Void) -> Runtime_V1_ContainerConfig {
        var config = Runtime_V1_ContainerConfig()
        config.metadata.name = "app"
        configure(&config)
        return config
    }

    @Test func aPlainRequestPasses() {
        #expect(specError { try validate(Self.config { _ in }) } == nil)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var configure: @Sendable (inout Runtime_V1_ContainerConfig) -> Void
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no name", configure: { $0.metadata.name = "" }, message: "metadata.name: a container needs a name"),
        Case(name: "relative working dir", configure: { $0.workingDir = "srv" },
             message: "working_dir \"srv\": not an absolute path"),
        Case(name: "empty env key", configure: { $0.envs = [keyValue("A", "1"), keyValue("", "x")] },
             message: "envs[1].key: empty (value \"x\")"),
        Case(name: "relative mount", configure: { $0.mounts = [criMount("data", "/tmp")] },
             message: "mounts[0].container_path \"data\": not an absolute path"),
        Case(name: "negative shares", configure: { $0.linux.resources.cpuShares = -1 },
             message: "linux.resources.cpu_shares -1: must not be negative"),
        Case(name: "unknown capability", configure: { $0.linux.securityContext.capabilities.addCapabilities = ["WARP"] },
             message: "linux.security_context.capabilities.add_capabilities[0] \"WARP\": unknown capability"),
        Case(name: "negative uid", configure: { $0.linux.securityContext.runAsUser = int64Value(-1) },
             message: "linux.security_context.run_as_user -1: out of range"),
        Case(name: "negative supplemental group", configure: { $0.linux.securityContext.supplementalGroups = [5, -3] },
             message: "linux.security_context.supplemental_groups[1] -3: out of range"),
        Case(name: "target without id", configure: { $0.linux.securityContext.namespaceOptions.pid = .target },
             message: "linux.security_context.namespace_options.target_id: empty with PID namespace mode TARGET"),
        Case(name: "ID-mapped mount", configure: {
            var mount = criMount("/data", "/tmp")
            mount.uidMappings = [Runtime_V1_IDMapping()]
            $0.mounts = [mount]
        }, message: "mounts[0]: ID-mapped mounts are not supported"),
        Case(name: "unified key with a slash", configure: { $0.linux.resources.unified = ["../memory.max": "1"] },
             message: "linux.resources.unified \"../memory.max\": not a cgroup file name"),
    ]

    @Test(arguments: cases)
    func refused(_ test: Case) {
        #expect(specError { try validate(Self.config(test.configure)) } == .invalidArgument(test.message))
    }

    @Test func hostPathsAreNotTouched() {
        // validate() is for before any work: a missing host path is makeContainerSpec's to find.
        #expect(specError { try validate(Self.config { $0.mounts = [criMount("/data", "/no/such/dir")] }) } == nil)
    }
}
