import AdminAPI
import CorralImages
import CorralRegistry

extension CRIService {
    /// corralctl's pull: the CRI's PullImage with each layer's bytes reported as they arrive,
    /// about ten times a second while something changes, and the image in the last report.
    func pullReportingProgress(_ request: Corral_Admin_V1_PullRequest,
                               report: @escaping @Sendable (Corral_Admin_V1_PullProgress) async throws -> Void) async throws {
        guard !request.reference.isEmpty else { throw CRIError.invalidArgument("reference is empty") }
        let auth = request.username.isEmpty && request.password.isEmpty
            ? nil : RegistryCredentials(username: request.username, password: request.password)
        let progress = PullProgress()
        let images = self.images
        let image = try await withThrowingTaskGroup(of: Image?.self) { group in
            group.addTask {
                do {
                    return try await images.pull(request.reference, auth: auth, progress: progress)
                } catch {
                    throw CRIError(image: error, reference: request.reference)
                }
            }
            group.addTask {
                var last: [PullProgress.Layer] = []
                while !Task.isCancelled {
                    let layers = progress.layers
                    if layers != last {
                        try await report(.with { $0.layers = layers.map(Self.message) })
                        last = layers
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return nil
            }
            while let next = try await group.next() {
                if let image = next {
                    group.cancelAll()
                    return image
                }
            }
            throw CRIError.internalError("the pull of \(request.reference) ended without an image")
        }
        try await report(.with {
            $0.layers = progress.layers.map(Self.message)
            $0.imageID = image.id
            $0.repoTags = image.repoTags
        })
    }

    static func message(_ layer: PullProgress.Layer) -> Corral_Admin_V1_LayerProgress {
        .with {
            $0.digest = layer.digest
            $0.size = UInt64(max(0, layer.size))
            $0.received = UInt64(max(0, layer.received))
            $0.state = switch layer.state {
            case .waiting: .waiting
            case .downloading: .downloading
            case .done: .done
            case .exists: .exists
            }
        }
    }
}
