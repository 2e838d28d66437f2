import AdminAPI
import CorralImages
import CorralRegistry
import CorralSystem

/// `corralctl images import` and `export`: OCI layout archives in and out of the image store,
/// for nodes that reach no registry. The paths are corrald's (the caller is root on this node).
extension CRIService {
    func importImages(_ request: Corral_Admin_V1_ImportRequest) async throws(CRIError) -> Corral_Admin_V1_ImportResponse {
        try Self.checkPath(request.path, mustExist: true)
        do {
            let imported = try await images.importLayout(path: request.path,
                                                         defaultName: request.defaultName.isEmpty ? nil : request.defaultName)
            return .with {
                $0.images = imported.map { image in
                    .with {
                        $0.id = image.id
                        $0.repoTags = image.repoTags
                        $0.repoDigests = image.repoDigests
                        $0.size = image.size
                    }
                }
            }
        } catch ImageError.invalidImage(let reason) {
            // Not an image layout: the caller named the wrong file.
            throw .invalidArgument("path: \(reason)")
        } catch {
            throw CRIError(image: error, reference: request.path)
        }
    }

    func exportImages(_ request: Corral_Admin_V1_ExportRequest) async throws(CRIError) -> Corral_Admin_V1_ExportResponse {
        guard !request.references.isEmpty else { throw .invalidArgument("references: name at least one image to export") }
        try Self.checkPath(request.path, mustExist: false)
        guard !FileSystem.exists(request.path) else { throw .alreadyExists("path: \(request.path) exists already") }
        do {
            let size = try await images.export(request.references, to: request.path)
            return .with { $0.size = size }
        } catch {
            throw CRIError(image: error, reference: request.references.joined(separator: ", "))
        }
    }

    private static func checkPath(_ path: String, mustExist: Bool) throws(CRIError) {
        guard !path.isEmpty else { throw .invalidArgument("path is empty") }
        guard path.hasPrefix("/") else { throw .invalidArgument("path: \(path) is not absolute") }
        if mustExist {
            guard FileSystem.exists(path) else { throw .notFound("path: \(path) does not exist") }
        } else {
            let parent = FileSystem.parent(of: path)
            guard FileSystem.exists(parent) else { throw .invalidArgument("path: directory \(parent) does not exist") }
        }
    }
}
