import CorralSpec
import CRIAPI
import OCISpec
import Testing

@Suite("Namespaces and hostname")
struct NamespaceTests {
    @Test func podNamespacesByDefault() throws {
        let result = try spec(makeInput())
        #expect(result.linux?.namespaces == [
            LinuxNamespace(type: .pid, path: "/run/corral/ns/pid"),
            LinuxNamespace(type: .ipc, path: "/run/corral/ns/ipc"),
            LinuxNamespace(type: .uts, path: "/run/corral/ns/uts"),
            LinuxNamespace(type: .mount),
            LinuxNamespace(type: .network, path: "/run/corral/ns/net"),
        ])
        #expect(result.hostname == "web")
    }

    @Test func hostNetworkAndIPC() throws {
        let result = try spec(makeInput {
            $0.linux.securityContext.namespaceOptions.network = .node
            $0.linux.securityContext.namespaceOptions.ipc = .node
            $0.linux.securityContext.namespaceOptions.pid = .node
        })
        #expect(result.linux?.namespaces == [LinuxNamespace(type: .mount)])
        #expect(result.hostname == nil)
    }

    struct PIDCase: Sendable, CustomTestStringConvertible {
        var mode: Runtime_V1_NamespaceMode
        var podPath: String
        var expected: LinuxNamespace?
        var testDescription: String { "\(mode) with pod path \(podPath.isEmpty ? "none" : podPath)" }
    }

    @Test(arguments: [
        PIDCase(mode: .container, podPath: "/run/corral/ns/pid", expected: LinuxNamespace(type: .pid)),
        PIDCase(mode: .pod, podPath: "/run/corral/ns/pid", expected: LinuxNamespace(type: .pid, path: "/run/corral/ns/pid")),
        PIDCase(mode: .pod, podPath: "", expected: LinuxNamespace(type: .pid)),
        PIDCase(mode: .node, podPath: "/run/corral/ns/pid", expected: nil),
        PIDCase(mode: .target, podPath: "/run/corral/ns/pid", expected: LinuxNamespace(type: .pid, path: "/proc/77/ns/pid")),
    ])
    func pidModes(_ test: PIDCase) throws {
        var input = makeInput {
            $0.linux.securityContext.namespaceOptions.pid = test.mode
            $0.linux.securityContext.namespaceOptions.targetID = test.mode == .target ? "other" : ""
        }
        input.namespaces.pid = test.podPath
        input.targetPIDNamespace = "/proc/77/ns/pid"
        #expect(try spec(input).namespace(.pid) == test.expected)
    }

    @Test func targetWithoutItsNamespaceIsRefused() {
        let input = makeInput {
            $0.linux.securityContext.namespaceOptions.pid = .target
            $0.linux.securityContext.namespaceOptions.targetID = "gone"
        }
        #expect(specError { try makeContainerSpec(input) }?.message.contains("target_id \"gone\"") == true)
    }

    @Test func emptyPathsMeanNewNamespaces() throws {
        var input = makeInput()
        input.namespaces = PodNamespacePaths()
        let result = try spec(input)
        #expect(result.linux?.namespaces?.allSatisfy { $0.path == nil } == true)
        #expect(result.linux?.namespaces?.map(\.type) == [.pid, .ipc, .uts, .mount, .network])
    }

    @Test func podOptionsStandInForMissingContainerOptions() throws {
        let input = makeInput(sandbox: { $0.linux.securityContext.namespaceOptions.network = .node })
        #expect(try spec(input).namespace(.network) == nil)
    }

    @Test func cgroupNamespaceOnUnifiedHosts() throws {
        var input = makeInput()
        input.host.unifiedCgroups = true
        #expect(try spec(input).namespace(.cgroup) == LinuxNamespace(type: .cgroup))
        #expect(try spec(makeInput()).namespace(.cgroup) == nil)
    }

    @Test func userNamespacesAreRefused() {
        let input = makeInput { $0.linux.securityContext.namespaceOptions.usernsOptions.mode = .pod }
        #expect(specError { try makeContainerSpec(input) }?.message.contains("userns_options") == true)
    }
}

@Suite("user namespace of the pod")
struct UserNamespaceSpecTests {
    static func input(_ configure: (inout Runtime_V1_ContainerConfig) -> Void = { _ in }) -> ContainerSpecInput {
        var input = makeInput(container: configure)
        input.sandboxConfig.linux.securityContext.namespaceOptions.usernsOptions = .with {
            $0.mode = .pod
            $0.uids = [.with { $0.hostID = 65536; $0.length = 65536 }]
            $0.gids = [.with { $0.hostID = 131072; $0.length = 65536 }]
        }
        input.namespaces.user = "/pods/p/ns/user"
        return input
    }

    @Test func theContainerJoinsThePodsWithItsMaps() throws {
        let spec = try makeContainerSpec(Self.input())
        #expect(spec.linux?.namespaces?.contains(LinuxNamespace(type: .user, path: "/pods/p/ns/user")) == true)
        #expect(spec.linux?.uidMappings == [LinuxIDMapping(containerID: 0, hostID: 65536, size: 65536)])
        #expect(spec.linux?.gidMappings == [LinuxIDMapping(containerID: 0, hostID: 131072, size: 65536)])
        // Without one the container stays in the host's, with no maps.
        let plain = try makeContainerSpec(makeInput())
        #expect(plain.linux?.namespaces?.contains { $0.type == .user } == false && plain.linux?.uidMappings == nil)
    }

    @Test func privilegedHostNamespacesAndAContainerThatDisagreesAreRefused() {
        var privileged = Self.input { $0.linux.securityContext.privileged = true }
        privileged.sandboxConfig.linux.securityContext.privileged = true
        #expect(specError { try makeContainerSpec(privileged) }?.message.contains("privileged: not allowed") == true)
        let hostNetwork = Self.input { $0.linux.securityContext.namespaceOptions.network = .node }
        #expect(specError { try makeContainerSpec(hostNetwork) }?.message.contains("network: NODE is not allowed") == true)
        let disagrees = Self.input { $0.linux.securityContext.namespaceOptions.usernsOptions.mode = .node }
        #expect(specError { try makeContainerSpec(disagrees) }?.message.contains("NODE differs from the pod's (POD)") == true)
        var missing = Self.input()
        missing.namespaces.user = ""
        #expect(specError { try makeContainerSpec(missing) }?.message.contains("has none") == true)
    }
}
