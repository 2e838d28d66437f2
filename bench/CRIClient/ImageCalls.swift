import CRIAPI

/// The image service's calls the benches make, and the runtime's name, each with a deadline.
extension CRIConnection {
    public func imagePresent(_ image: String) async throws -> Bool {
        var request = Runtime_V1_ImageStatusRequest()
        request.image.image = image
        let response = try await images.imageStatus(request, options: Self.deadline(seconds: 60))
        return response.hasImage && !response.image.id.isEmpty
    }

    /// Answers the image's id (image_ref). A cold pull of a big image can take minutes on a
    /// busy machine, so the deadline is generous.
    @discardableResult
    public func pullImage(_ image: String) async throws -> String {
        var request = Runtime_V1_PullImageRequest()
        request.image.image = image
        return try await images.pullImage(request, options: Self.deadline(seconds: 900)).imageRef
    }

    /// Removes the image (a runtime answers OK when it is not there).
    public func removeImage(_ image: String) async throws {
        var request = Runtime_V1_RemoveImageRequest()
        request.image.image = image
        _ = try await images.removeImage(request, options: Self.deadline(seconds: 120))
    }

    /// Bytes the runtime reports its images use (ImageFsInfo's first image file system).
    public func imageBytesUsed() async throws -> UInt64 {
        let info = try await images.imageFsInfo(Runtime_V1_ImageFsInfoRequest(), options: Self.deadline(seconds: 60))
        return info.imageFilesystems.first?.usedBytes.value ?? 0
    }

    public func runtimeName() async throws -> String {
        let version = try await runtime.version(Runtime_V1_VersionRequest(), options: Self.deadline(seconds: 60))
        return "\(version.runtimeName) \(version.runtimeVersion)"
    }
}
