import CRIAPI
import CRIGRPC
import GRPCCore

/// runtime.v1.ImageService over gRPC, through the same instrumentation as the runtime calls.
struct ImageServiceHandler: Runtime_V1_ImageService.SimpleServiceProtocol {
    let service: CRIService
    let instrumentation: Instrumentation

    func listImages(request: Runtime_V1_ListImagesRequest, context: ServerContext) async throws -> Runtime_V1_ListImagesResponse {
        try await instrumentation.run("ListImages") { await service.listImages(request) }
    }

    func imageStatus(request: Runtime_V1_ImageStatusRequest, context: ServerContext) async throws -> Runtime_V1_ImageStatusResponse {
        try await instrumentation.run("ImageStatus", ["image": request.image.image], fromMemory: true) { try await service.imageStatus(request) }
    }

    func pullImage(request: Runtime_V1_PullImageRequest, context: ServerContext) async throws -> Runtime_V1_PullImageResponse {
        try await instrumentation.run("PullImage", ["image": request.image.image]) { try await service.pullImage(request) }
    }

    func removeImage(request: Runtime_V1_RemoveImageRequest, context: ServerContext) async throws -> Runtime_V1_RemoveImageResponse {
        try await instrumentation.run("RemoveImage", ["image": request.image.image]) { try await service.removeImage(request) }
    }

    func imageFsInfo(request: Runtime_V1_ImageFsInfoRequest, context: ServerContext) async throws -> Runtime_V1_ImageFsInfoResponse {
        try await instrumentation.run("ImageFsInfo") { await service.imageFsInfo(request) }
    }
}
