import CRIAPI
@testable import CorralDaemon
import CorralImages
import CorralRegistry
import CorralSystem
import Logging
import OCISpec
import ShimAPI
import TestSupport

/// The CRI service over fakes: an in-memory store, shims without processes, pod files and images
/// in memory; only bundles and log dirs go to a temporary directory. No root, no runc, no network.
struct ServiceFixture {
    let directory: TemporaryDirectory
    let store: FakeStore
    let registry: PodRegistry
    let shims: FakeShims
    let podFiles: FakePodFiles
    let images: FakeImages
    let staging = FakeMountStaging()
    let service: CRIService

    static let imageConfig = ImageConfiguration(
        architecture: "amd64", os: "linux",
        config: ImageExecutionConfig(user: "", env: ["PATH=/usr/bin:/bin", "FROM_IMAGE=1"], entrypoint: ["/bin/entry"],
                                     cmd: ["--default"], workingDir: "/srv", stopSignal: "SIGINT"),
        rootfs: ImageRootFS(type: "layers", diffIDs: ["sha256:" + String(repeating: "12", count: 32)]))

    init(store: FakeStore = FakeStore()) async throws {
        directory = try TemporaryDirectory("daemon-unit")
        self.store = store
        registry = PodRegistry(store: store)
        try await registry.load()
        shims = FakeShims()
        podFiles = FakePodFiles(base: directory.path)
        images = FakeImages(config: Self.imageConfig)
        var settings = ServiceSettings()
        settings.root = directory.path + "/root"
        settings.state = directory.path + "/state"
        settings.cniConfDir = "/etc/cni/test.d"
        settings.cniMaxNetworks = 2
        settings.runtimes = [.init(name: "runc", path: "/usr/sbin/runc", root: "/run/shared-runc")]
        for dir in [settings.sandboxesDir, settings.containersDir] { try FileSystem.makeDirectories(dir) }
        let imageStore = try ImageStore(root: settings.root, registry: RegistryConfiguration(), logger: Logger(label: "test"))
        service = CRIService(settings: settings, registry: registry, shims: shims, images: imageStore,
                             containerImages: images, podFiles: podFiles, mountStaging: staging, logger: Logger(label: "test"))
        // A shim that starts its sandbox as asked, on 10.1.2.3.
        await shims.set(prepare: FakeShimConnection.startsSandboxes)
    }

    func podConfig(_ name: String) -> Runtime_V1_PodSandboxConfig {
        .with {
            $0.metadata = .with { $0.name = name; $0.namespace = "default"; $0.uid = "uid-" + name }
            $0.hostname = name
            $0.logDirectory = directory.path + "/logs/" + name
            $0.linux.cgroupParent = "/kubepods/pod-" + name
        }
    }

    func runPod(_ name: String) async throws -> String {
        try await service.runPodSandbox(.with { $0.config = podConfig(name) }).podSandboxID
    }

    /// Creates the container in `pod` and starts it.
    func runContainer(in pod: String, _ config: Runtime_V1_ContainerConfig) async throws -> String {
        let id = try await service.createContainer(.with { $0.podSandboxID = pod; $0.config = config }).containerID
        _ = try await service.startContainer(.with { $0.containerID = id })
        return id
    }

    func containerConfig(_ name: String) -> Runtime_V1_ContainerConfig {
        .with {
            $0.metadata = .with { $0.name = name }
            $0.image.image = "busybox"
            $0.logPath = name + ".log"
        }
    }
}

extension FakeShimConnection {
    /// CreateSandbox with `start` answers the started sandbox, with an address and namespaces.
    static let startsSandboxes: @Sendable (FakeShimConnection) -> Void = { connection in
        connection.answer(SandboxMethods.createSandbox) { request in
            var response = Corral_Shim_V1_CreateSandboxResponse()
            if request.start {
                response.started = started(request.sandboxID)
                // A shim that knows user namespaces pins one when asked.
                if !request.namespaceOptions.uidMappings.isEmpty {
                    response.started.namespaces.user = "/pods/\(request.sandboxID)/ns/user"
                }
            }
            return response
        }
        connection.answer(SandboxMethods.startSandbox) { request in started(request.sandboxID) }
    }

    static func started(_ id: String) -> Corral_Shim_V1_StartSandboxResponse {
        .with {
            $0.ips = [.with { $0.ip = "10.1.2.3"; $0.interface = "eth0" }]
            $0.namespaces = .with { $0.network = "/pods/\(id)/ns/net"; $0.ipc = "/pods/\(id)/ns/ipc"; $0.uts = "/pods/\(id)/ns/uts" }
        }
    }
}
