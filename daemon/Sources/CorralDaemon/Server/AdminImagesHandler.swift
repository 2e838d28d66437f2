import AdminAPI
import GRPCCore

/// corral.admin.v1.Images on the CRI socket, through the same instrumentation as the CRI.
struct AdminImagesHandler: Corral_Admin_V1_Images.SimpleServiceProtocol {
    let service: CRIService
    let instrumentation: Instrumentation

    func importImages(request: Corral_Admin_V1_ImportRequest, context: ServerContext) async throws -> Corral_Admin_V1_ImportResponse {
        try await instrumentation.run("ImportImages", ["path": request.path]) { try await service.importImages(request) }
    }

    func exportImages(request: Corral_Admin_V1_ExportRequest, context: ServerContext) async throws -> Corral_Admin_V1_ExportResponse {
        try await instrumentation.run("ExportImages", ["path": request.path]) { try await service.exportImages(request) }
    }

    func pullImage(request: Corral_Admin_V1_PullRequest, response: RPCWriter<Corral_Admin_V1_PullProgress>,
                   context: ServerContext) async throws {
        try await instrumentation.run("PullImage", ["image": request.reference]) {
            try await service.pullReportingProgress(request) { try await response.write($0) }
        }
    }
}
