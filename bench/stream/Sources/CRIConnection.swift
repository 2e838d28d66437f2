import BenchSupport
import CRIAPI
import CRIGRPC
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// The runtime and image services over one HTTP/2 connection. Each phase of the bench opens its
/// own: a grpc-go server (containerd) answers every call with a PING, and swift-nio-http2 gives
/// a connection up after 200 of those in 30 s (bench/cri-latency/README.md tells the story).
final class CRIConnection: Sendable {
    typealias Transport = HTTP2ClientTransport.Posix

    let runtime: Runtime_V1_RuntimeService.Client<Transport>
    let images: Runtime_V1_ImageService.Client<Transport>
    private let client: GRPCClient<Transport>
    private let running: Task<Void, any Error>

    init(endpoint: String) throws {
        let path = endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: path), transportSecurity: .plaintext)
        let client = GRPCClient(transport: transport)
        self.client = client
        runtime = .init(wrapping: client)
        images = .init(wrapping: client)
        running = Task.detached { try await client.runConnections() }
    }

    func close() async {
        client.beginGracefulShutdown()
        _ = await running.result
    }

    /// Every call carries a deadline, so a hung runtime fails the bench instead of hanging it.
    static func deadline(seconds: Int64 = 60) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(seconds)
        return options
    }

    func runtimeName() async throws -> String {
        let version = try await runtime.version(Runtime_V1_VersionRequest(), options: Self.deadline())
        return "\(version.runtimeName) \(version.runtimeVersion)"
    }

    func ensureImage(_ image: String) async throws {
        var status = Runtime_V1_ImageStatusRequest()
        status.image.image = image
        let found = try await images.imageStatus(status, options: Self.deadline())
        guard !found.hasImage || found.image.id.isEmpty else { return }
        BenchProgress.say("pulling \(image)")
        var pull = Runtime_V1_PullImageRequest()
        pull.image.image = image
        _ = try await images.pullImage(pull, options: Self.deadline(seconds: 600))
    }

    func runPod(_ config: Runtime_V1_PodSandboxConfig) async throws -> String {
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = config
        return try await runtime.runPodSandbox(request, options: Self.deadline()).podSandboxID
    }

    func runContainer(pod: String, sandbox: Runtime_V1_PodSandboxConfig, _ config: Runtime_V1_ContainerConfig) async throws -> String {
        var create = Runtime_V1_CreateContainerRequest()
        create.podSandboxID = pod
        create.config = config
        create.sandboxConfig = sandbox
        let id = try await runtime.createContainer(create, options: Self.deadline()).containerID
        var start = Runtime_V1_StartContainerRequest()
        start.containerID = id
        _ = try await runtime.startContainer(start, options: Self.deadline())
        return id
    }

    func execSync(_ container: String, _ command: [String]) async throws -> Runtime_V1_ExecSyncResponse {
        var request = Runtime_V1_ExecSyncRequest()
        request.containerID = container
        request.cmd = command
        request.timeout = 10
        return try await runtime.execSync(request, options: Self.deadline())
    }

    /// The URL of a non-interactive exec, with stdout and stderr as `kubectl exec` asks for them.
    func execURL(_ container: String, _ command: [String]) async throws -> String {
        var request = Runtime_V1_ExecRequest()
        request.containerID = container
        request.cmd = command
        request.stdout = true
        request.stderr = true
        return try await runtime.exec(request, options: Self.deadline()).url
    }

    func portForwardURL(_ pod: String, port: Int32) async throws -> String {
        var request = Runtime_V1_PortForwardRequest()
        request.podSandboxID = pod
        request.port = [port]
        return try await runtime.portForward(request, options: Self.deadline()).url
    }

    func removePod(_ id: String) async throws {
        var stop = Runtime_V1_StopPodSandboxRequest()
        stop.podSandboxID = id
        _ = try await runtime.stopPodSandbox(stop, options: Self.deadline())
        var remove = Runtime_V1_RemovePodSandboxRequest()
        remove.podSandboxID = id
        _ = try await runtime.removePodSandbox(remove, options: Self.deadline())
    }
}
