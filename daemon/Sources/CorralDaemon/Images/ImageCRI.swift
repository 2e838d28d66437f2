import CRIAPI
import CorralImages
import CorralRegistry
import CorralSystem
import Foundation
import GRPCCore

extension CRIService {
    func listImages(_ request: Runtime_V1_ListImagesRequest) async -> Runtime_V1_ListImagesResponse {
        var all = images.list()
        if request.hasFilter, request.filter.hasImage, !request.filter.image.image.isEmpty {
            let wanted = images.image(request.filter.image.image)
            all = all.filter { $0.id == wanted?.id }
        }
        return .with { $0.images = all.map(Self.criImage) }
    }

    /// Status of an image; an unknown one is no error, just no image (kubelet then pulls).
    func imageStatus(_ request: Runtime_V1_ImageStatusRequest) async throws(CRIError) -> Runtime_V1_ImageStatusResponse {
        guard request.hasImage, !request.image.image.isEmpty else { throw .invalidArgument("image.image is empty") }
        guard let image = images.image(request.image.image) else { return .init() }
        return .with {
            $0.image = Self.criImage(image)
            if request.verbose {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                // A config that decoded from the store encodes again.
                let config = (try? encoder.encode(image.config)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                $0.info["info"] = VerboseJSON.encode([
                    "id": image.id, "manifestDigest": image.manifestDigest, "chainIDs": image.chainIDs,
                    "config": config, "size": Int(image.size),
                ] as [String: Any])
            }
        }
    }

    func pullImage(_ request: Runtime_V1_PullImageRequest) async throws(CRIError) -> Runtime_V1_PullImageResponse {
        guard request.hasImage, !request.image.image.isEmpty else { throw .invalidArgument("image.image is empty") }
        let auth = request.hasAuth ? Self.credentials(request.auth) : nil
        do {
            let image = try await images.pull(request.image.image, auth: auth)
            return .with { $0.imageRef = image.id }
        } catch {
            throw CRIError(image: error, reference: request.image.image)
        }
    }

    /// Removes a tag, a digest or the whole image; what is gone already is no error.
    func removeImage(_ request: Runtime_V1_RemoveImageRequest) async throws(CRIError) -> Runtime_V1_RemoveImageResponse {
        guard request.hasImage, !request.image.image.isEmpty else { throw .invalidArgument("image.image is empty") }
        do {
            try images.remove(request.image.image)
        } catch ImageError.notFound {
            return .init()
        } catch {
            throw CRIError(image: error, reference: request.image.image)
        }
        return .init()
    }

    /// The image file system, and the containers' writable layers as kubelet's eviction manager
    /// reads them (KEP-4191): on the image file system's mount point when both are on one file
    /// system, which tells kubelet the disk is not split.
    func imageFsInfo(_ request: Runtime_V1_ImageFsInfoRequest) async -> Runtime_V1_ImageFsInfoResponse {
        let info = images.fsInfo()
        let timestamp = Self.now
        var used: (bytes: UInt64, inodes: UInt64) = (0, 0)
        for container in await registry.allContainers(changedSince: nil)?.containers ?? [] {
            let layer = Self.usage(ofUpper: container.rootfsOptions)
            used = (used.bytes + layer.bytes, used.inodes + layer.inodes)
        }
        let containers = used
        return .with {
            $0.imageFilesystems = [.with {
                $0.timestamp = timestamp
                $0.fsID.mountpoint = info.mountpoint
                $0.usedBytes.value = info.usedBytes
                $0.inodesUsed.value = info.inodesUsed
            }]
            $0.containerFilesystems = [.with {
                $0.timestamp = timestamp
                $0.fsID.mountpoint = containerFilesystemMountpoint()
                $0.usedBytes.value = containers.bytes
                $0.inodesUsed.value = containers.inodes
            }]
        }
    }

    /// Where the writable layers are, as ImageFsInfo and ContainerStats name it.
    func containerFilesystemMountpoint() -> String {
        let layers = images.root + "/containers"
        let image = images.layersDirectory
        guard let a = try? FileSystem.status(layers), let b = try? FileSystem.status(image) else { return layers }
        return a.filesystem == b.filesystem ? image : layers
    }

    static func criImage(_ image: Image) -> Runtime_V1_Image {
        .with {
            $0.id = image.id
            $0.repoTags = image.repoTags
            $0.repoDigests = image.repoDigests
            $0.size = image.size
            $0.pinned = image.pinned
            $0.spec.image = image.id
            let user = image.config.config?.user ?? ""
            let name = user.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            if let uid = Int64(name) {
                $0.uid.value = uid
            } else {
                $0.username = name
            }
        }
    }

    static func credentials(_ auth: Runtime_V1_AuthConfig) -> RegistryCredentials {
        RegistryCredentials(username: auth.username, password: auth.password, auth: auth.auth,
                            identityToken: auth.identityToken, registryToken: auth.registryToken)
    }
}

extension CRIError {
    init(image error: any Error, reference: String) {
        guard let error = error as? ImageError else {
            self.init(.unknown, "image \"\(reference)\": \(error)")
            return
        }
        let code: GRPCCore.RPCError.Code = switch error {
        case .notFound: .notFound
        case .registry(let status, _) where status == 404: .notFound
        case .invalidReference, .invalidArgument, .unsupported: .invalidArgument
        case .unreachable: .unavailable
        case .timeout: .deadlineExceeded
        default: .unknown
        }
        self.init(code, "image \"\(reference)\": \(error)")
    }
}
