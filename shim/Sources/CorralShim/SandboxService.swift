import CorralSystem
import ShimAPI
import TTRPC

/// `corral.shim.v1.Sandbox`: the pod's namespaces, network and life cycle.
enum SandboxService {
    static func make(_ shim: ShimContext, _ sandbox: PodSandbox) -> Service {
        var service = Service(name: SandboxMethods.service)
        service.unary(SandboxMethods.createSandbox) { _, request in
            try await sandbox.create(request)
            var response = Corral_Shim_V1_CreateSandboxResponse()
            if request.start { response.started = try await sandbox.start(request.sandboxID) }
            return response
        }
        service.unary(SandboxMethods.startSandbox) { _, request in try await sandbox.start(request.sandboxID) }
        service.unary(SandboxMethods.stopSandbox) { _, request in
            try await sandbox.stop(request)
            return .init()
        }
        service.unary(SandboxMethods.waitSandbox) { _, request in try await sandbox.wait(request.sandboxID) }
        service.unary(SandboxMethods.sandboxStatus) { _, request in try await sandbox.status(request) }
        service.unary(SandboxMethods.pingSandbox) { _, request in
            try await sandbox.ping(request.sandboxID)
            return .init()
        }
        service.unary(SandboxMethods.shutdownSandbox) { _, request in
            try await sandbox.shutdown(request.sandboxID)
            shim.requestShutdown(reason: "ShutdownSandbox")
            return .init()
        }
        service.unary(SandboxMethods.sandboxMetrics) { _, request in try await sandbox.metrics(request.sandboxID) }
        return service
    }
}
