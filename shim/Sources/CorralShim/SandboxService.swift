import CorralSystem
import ShimAPI
import TTRPC

/// `corral.shim.v1.Sandbox`. The pod's namespaces and network come with the shim issue;
/// what a bare shim can already do is answer pings and shut down.
enum SandboxService {
    static func make(_ shim: ShimContext) -> Service {
        var service = Service(name: SandboxMethods.service)
        service.unary(SandboxMethods.pingSandbox) { _, request in
            try checkID(request.sandboxID, shim)
            return Corral_Shim_V1_PingSandboxResponse()
        }
        service.unary(SandboxMethods.shutdownSandbox) { _, request in
            try checkID(request.sandboxID, shim)
            shim.requestShutdown(reason: "ShutdownSandbox")
            return Corral_Shim_V1_ShutdownSandboxResponse()
        }
        return service
    }

    /// An empty id means "this shim's pod"; any other must match it.
    static func checkID(_ id: String, _ shim: ShimContext) throws(RPCError) {
        guard id.isEmpty || id == shim.options.id else {
            throw RPCError(.notFound, "sandbox \(id) is not served by this shim (it serves \(shim.options.id))")
        }
    }
}
