import CRIAPI
import CorralStreaming

extension CRIService {
    /// Exec, Attach and PortForward check the request now and answer with a single-use URL of
    /// the streaming server, where the client then speaks SPDY or WebSocket (as kubelet's).
    func exec(_ request: Runtime_V1_ExecRequest) async throws(CRIError) -> Runtime_V1_ExecResponse {
        guard !request.cmd.isEmpty else { throw .invalidArgument("cmd is empty") }
        let (container, _) = try await runningContainer(request.containerID)
        let url = try streamingURL { server throws(StreamingRequestError) in
            try server.exec(ExecRequest(containerID: container.id, cmd: request.cmd, tty: request.tty,
                                        stdin: request.stdin, stdout: request.stdout, stderr: request.stderr))
        }
        return .with { $0.url = url }
    }

    func attach(_ request: Runtime_V1_AttachRequest) async throws(CRIError) -> Runtime_V1_AttachResponse {
        let (container, _) = try await runningContainer(request.containerID)
        if request.stdin, !container.config.stdin {
            throw .invalidArgument("stdin requested, but container \(container.id) was not created with stdin")
        }
        let url = try streamingURL { server throws(StreamingRequestError) in
            try server.attach(AttachRequest(containerID: container.id, tty: request.tty, stdin: request.stdin,
                                            stdout: request.stdout, stderr: request.stderr))
        }
        return .with { $0.url = url }
    }

    func portForward(_ request: Runtime_V1_PortForwardRequest) async throws(CRIError) -> Runtime_V1_PortForwardResponse {
        let sandbox = try await registry.sandbox(request.podSandboxID)
        guard sandbox.state == .sandboxReady else { throw .failedPrecondition("pod sandbox \(sandbox.id) is not ready") }
        for port in request.port where !(1...65535).contains(port) {
            throw .invalidArgument("port \(port) is out of range 1-65535")
        }
        let url = try streamingURL { server throws(StreamingRequestError) in
            try server.portForward(PortForwardRequest(podSandboxID: sandbox.id, ports: request.port))
        }
        return .with { $0.url = url }
    }

    private func streamingURL(_ make: (StreamingServer) throws(StreamingRequestError) -> String) throws(CRIError) -> String {
        guard let server = streaming.withLock({ $0 }) else { throw .unavailable("the streaming server is not running") }
        do {
            return try make(server)
        } catch .tooManyInFlight {
            throw CRIError(.resourceExhausted, "\(StreamingRequestError.tooManyInFlight)")
        } catch {
            throw .invalidArgument("\(error)")
        }
    }
}
