import CorralSystem
import ShimAPI
import TTRPC

/// `corral.shim.v1.Sandbox`: the pod's namespaces, network and life cycle.
enum SandboxService {
    static func make(_ shim: ShimContext, _ sandbox: PodSandbox) -> Service {
        var service = Service(name: SandboxMethods.service)
        service.unary(SandboxMethods.createSandbox) { _, request in
            try await sandbox.create(request)
            return .init()
        }
        service.unary(SandboxMethods.startSandbox) { _, request in try await sandbox.start(request.sandboxID) }
        service.unary(SandboxMethods.stopSandbox) { _, request in
            try await sandbox.stop(request)
            return .init()
        }
        service.unary(SandboxMethods.waitSandbox) { _, request in try await sandbox.wait(request.sandboxID) }
        service.unary(SandboxMethods.sandboxStatus) { _, request in try await sandbox.status(request) }
        service.unary(SandboxMethods.pingSandbox) { _, request in
            try checkID(request.sandboxID, shim)
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

    /// An empty id means "this shim's pod"; any other must match it.
    static func checkID(_ id: String, _ shim: ShimContext) throws(RPCError) {
        guard id.isEmpty || id == shim.options.id else {
            throw RPCError(.notFound, "sandbox \(id) is not served by this shim (it serves \(shim.options.id))")
        }
    }
}
