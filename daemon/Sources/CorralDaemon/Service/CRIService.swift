import CorralImages
import CorralStreaming
import CorralSystem
import Foundation
import Logging
import Synchronization
/// The CRI's runtime and image semantics over the registry, the shims and the image store.
/// The gRPC handlers call into this; it knows nothing of gRPC beyond the status codes.
final class CRIService: Sendable {
    let settings: ServiceSettings
    let registry: PodRegistry
    let shims: any ShimSupervisor
    let images: ImageStore
    /// The image store as creating a container uses it (`images`, unless a test says otherwise).
    let containerImages: any ContainerImages
    let podFiles: any PodFileStore
    let mountStaging: any MountStaging
    let logger: Logger
    let podCIDR = Mutex<String>("")
    let cpuSamples = CPUSamples()
    /// Set once the streaming server listens (it needs this service as its backend first).
    let streaming = Mutex<StreamingServer?>(nil)
    /// The unfiltered ListContainers answer, encoded (see `encodedContainerList`).
    let containerList = Mutex<EncodedList?>(nil)

    init(settings: ServiceSettings, registry: PodRegistry, shims: any ShimSupervisor, images: ImageStore,
         containerImages: (any ContainerImages)? = nil, podFiles: (any PodFileStore)? = nil,
         mountStaging: any MountStaging = HostMountStaging(), logger: Logger) {
        self.settings = settings
        self.registry = registry
        self.shims = shims
        self.images = images
        self.containerImages = containerImages ?? images
        self.podFiles = podFiles ?? PodFileDirectories(sandboxesDir: settings.sandboxesDir)
        self.mountStaging = mountStaging
        self.logger = logger
    }

    /// The pod's shim, or FailedPrecondition when the daemon has no connection to it.
    func shim(of sandbox: SandboxEntry) async throws(CRIError) -> ShimHandle {
        if let handle = await shims.handle(sandbox.id) { return handle }
        guard !sandbox.shimAddress.isEmpty else {
            throw .failedPrecondition("pod sandbox \(sandbox.id) has no running shim")
        }
        return try await shims.connect(podID: sandbox.id, address: sandbox.shimAddress)
    }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    static var now: Int64 { Int64(Clock.wallNanos) }
}
