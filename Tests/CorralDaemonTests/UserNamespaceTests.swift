import CRIAPI
@testable import CorralDaemon
import CorralSystem
import OCISpec
import ShimAPI
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A pod with a user namespace of its own, against fakes: the shim is asked for it with the
/// pod's maps, a shim that makes none fails the pod, and a container's spec joins it with every
/// bind and image layer staged ID-mapped and the upper dir given to the container's root.
@Suite("user namespaces")
struct UserNamespaceUnitTests {
    static let mapping = Runtime_V1_IDMapping.with { $0.containerID = 0; $0.hostID = 327_680; $0.length = 65536 }

    func podConfig(_ fixture: ServiceFixture) -> Runtime_V1_PodSandboxConfig {
        var config = fixture.podConfig("userns")
        config.linux.securityContext.namespaceOptions.usernsOptions = .with {
            $0.mode = .pod
            $0.uids = [Self.mapping]
            $0.gids = [Self.mapping]
        }
        return config
    }

    @Test func theShimIsAskedForTheNamespaceWithThePodsMaps() async throws {
        let fixture = try await ServiceFixture()
        let config = podConfig(fixture)
        let pod = try await fixture.service.runPodSandbox(.with { $0.config = config }).podSandboxID
        let request = try #require(await fixture.shims.connection(pod).requests(SandboxMethods.createSandbox).first)
        let expected = Corral_Shim_V1_IDMapping.with { $0.containerID = 0; $0.hostID = 327_680; $0.length = 65536 }
        #expect(request.namespaceOptions.uidMappings == [expected] && request.namespaceOptions.gidMappings == [expected])
        #expect(fixture.store.sandboxes[pod]?.namespaces.user == "/pods/\(pod)/ns/user")
    }

    @Test func aShimThatMakesNoUserNamespaceFailsThePodAndLeavesNothing() async throws {
        let fixture = try await ServiceFixture()
        // The answer of a shim from before user namespaces: everything but the user namespace.
        await fixture.shims.set(prepare: { connection in
            connection.answer(SandboxMethods.createSandbox) { request in
                .with { $0.started = FakeShimConnection.started(request.sandboxID) }
            }
        })
        let config = podConfig(fixture)
        let error = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.runPodSandbox(.with { $0.config = config })
        }
        #expect(error?.code == .failedPrecondition && error?.message.contains("no user namespace") == true, "\(String(describing: error))")
        #expect(fixture.store.sandboxes.isEmpty)
    }

    @Test func aContainerJoinsItWithItsLayersAndBindsIDMapped() async throws {
        let fixture = try await ServiceFixture()
        chmod(fixture.directory.path, 0o711)
        let config = podConfig(fixture)
        let pod = try await fixture.service.runPodSandbox(.with { $0.config = config }).podSandboxID
        var container = fixture.containerConfig("app")
        container.mounts = [.with { $0.hostPath = "/tmp"; $0.containerPath = "/scratch" }]
        let id = try await fixture.service.createContainer(.with {
            $0.podSandboxID = pod
            $0.config = container
            $0.sandboxConfig = config
        }).containerID
        let spec = try CreateContainerTests().spec(fixture, id)
        #expect(spec.linux?.namespaces?.contains(LinuxNamespace(type: .user, path: "/pods/\(pod)/ns/user")) == true)
        #expect(spec.linux?.uidMappings == [LinuxIDMapping(containerID: 0, hostID: 327_680, size: 65536)])
        #expect(spec.linux?.gidMappings == spec.linux?.uidMappings)
        let bundle = fixture.service.settings.containersDir + "/" + id
        let state = fixture.staging.state.withLock { $0 }
        // Every bind, the request's and the pod's files alike, is a staged ID-mapped copy.
        for mount in spec.mounts ?? [] where mount.type == "bind" {
            let source = try #require(mount.source)
            #expect(source.hasPrefix(bundle + "/staged/m"), "\(mount)")
            #expect(state.kinds[source]?.userNamespace == "/pods/\(pod)/ns/user", "\(mount)")
        }
        #expect(state.staged.values.contains("/tmp"))
        // The layers, read-only and ID-mapped, in overlay's order; the upper dir the container root's.
        let entry = try #require(fixture.store.containers[id])
        #expect(entry.rootfsOptions.first == "lowerdir=\(bundle)/staged/l0:\(bundle)/staged/l1", "\(entry.rootfsOptions)")
        #expect(state.staged[bundle + "/staged/l0"] == "/layers/\(id)" && state.staged[bundle + "/staged/l1"] == "/layers/base")
        #expect(state.kinds[bundle + "/staged/l1"] == StagedMount(readOnly: true, userNamespace: "/pods/\(pod)/ns/user"))
        #expect(state.owners["/uppers/\(id)"].map { [$0.uid, $0.gid] } == [327_680, 327_680])
    }

    @Test func aBundleTheNamespacesRootCannotReachIsRefusedAndLeavesNothing() async throws {
        let fixture = try await ServiceFixture()
        chmod(fixture.directory.path, 0o700)
        let config = podConfig(fixture)
        let pod = try await fixture.service.runPodSandbox(.with { $0.config = config }).podSandboxID
        let error = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.createContainer(.with {
                $0.podSandboxID = pod
                $0.config = fixture.containerConfig("app")
                $0.sandboxConfig = config
            })
        }
        #expect(error?.code == .failedPrecondition && error?.message.contains("not searchable") == true, "\(String(describing: error))")
        #expect(fixture.staging.state.withLock { $0.staged.isEmpty })
        #expect(fixture.store.containers.isEmpty)
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var change: @Sendable (inout Runtime_V1_NamespaceOption) -> Void
        var words: String
    }

    static let refusals: [Refusal] = [
        Refusal(testDescription: "two mappings", change: { $0.usernsOptions.uids.append(mapping) }, words: "exactly one mapping"),
        Refusal(testDescription: "root unmapped", change: { $0.usernsOptions.gids[0].containerID = 1 },
                words: "gids[0]: container ID 0 (root) is not mapped"),
        Refusal(testDescription: "host root", change: { $0.usernsOptions.uids[0].hostID = 0 },
                words: "maps the container's root to the host's root"),
        Refusal(testDescription: "past 2^32", change: { $0.usernsOptions.uids[0].hostID = UInt32.max - 10 }, words: "out of range"),
        Refusal(testDescription: "CONTAINER", change: { $0.usernsOptions.mode = .container }, words: "mode: CONTAINER is not supported"),
        Refusal(testDescription: "host IPC", change: { $0.ipc = .node }, words: "ipc: NODE cannot be combined"),
        Refusal(testDescription: "NODE with maps", change: { $0.usernsOptions.mode = .node }, words: "mappings given with mode NODE"),
    ]

    @Test(arguments: refusals)
    func refused(_ refusal: Refusal) async throws {
        let fixture = try await ServiceFixture()
        var config = podConfig(fixture)
        refusal.change(&config.linux.securityContext.namespaceOptions)
        let error = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.runPodSandbox(.with { $0.config = config })
        }
        #expect(error?.code == .invalidArgument && error?.message.contains(refusal.words) == true, "\(String(describing: error))")
        #expect(fixture.store.sandboxes.isEmpty)
    }
}
