import CRIAPI

extension CRIService {
    func podSandboxStatus(_ request: Runtime_V1_PodSandboxStatusRequest) async throws(CRIError) -> Runtime_V1_PodSandboxStatusResponse {
        let sandbox = try await registry.sandbox(request.podSandboxID)
        return .with {
            $0.status = Self.status(of: sandbox)
            if request.verbose { $0.info["info"] = verboseInfo(of: sandbox) }
        }
    }

    static func status(of sandbox: SandboxEntry) -> Runtime_V1_PodSandboxStatus {
        .with {
            $0.id = sandbox.id
            $0.metadata = sandbox.metadata
            $0.state = sandbox.state
            $0.createdAt = sandbox.createdAt
            // A pod on the host's network has no IP of its own to report (kubelet uses the node's).
            if !sandbox.hostNetwork, sandbox.state == .sandboxReady || !sandbox.ips.isEmpty {
                $0.network.ip = sandbox.ips.first ?? ""
                $0.network.additionalIps = sandbox.ips.dropFirst().map { ip in .with { $0.ip = ip } }
            }
            $0.linux.namespaces.options = sandbox.namespaceOptions
            $0.labels = sandbox.config.labels
            $0.annotations = sandbox.config.annotations
            $0.runtimeHandler = sandbox.reportedHandler
        }
    }

    private func verboseInfo(of sandbox: SandboxEntry) -> String {
        // A handler removed from the config since the pod started: its status names none.
        let runtime = try? settings.runtime(forHandler: sandbox.runtimeHandler)
        let info: [String: Any] = [
            "pid": Int(sandbox.shimPID),
            "runtimeHandler": sandbox.runtimeHandler,
            "runtimePath": runtime?.path ?? "",
            "shim": ["address": sandbox.shimAddress, "stateDir": sandbox.shimStateDir, "pid": Int(sandbox.shimPID)],
            "namespaces": ["network": sandbox.namespaces.network, "ipc": sandbox.namespaces.ipc,
                           "uts": sandbox.namespaces.uts, "pid": sandbox.namespaces.pid],
            "netNamespaceClosed": sandbox.stopped,
            "ips": sandbox.ips,
            "podFiles": podFiles.directory(pod: sandbox.id),
            // The JSON of a message that decoded cannot fail to encode.
            "config": (try? sandbox.config.jsonString()) ?? "",
        ]
        return VerboseJSON.encode(info)
    }

    func listPodSandbox(_ request: Runtime_V1_ListPodSandboxRequest) async -> Runtime_V1_ListPodSandboxResponse {
        let filter = request.filter
        var sandboxes: [SandboxEntry]
        if request.hasFilter, !filter.id.isEmpty {
            guard let id = await registry.resolveSandboxID(filter.id),
                  let one = await registry.existingSandbox(id) else { return .init() }
            sandboxes = [one]
        } else {
            sandboxes = await registry.allSandboxes
        }
        if request.hasFilter {
            if filter.hasState { sandboxes.removeAll { $0.state != filter.state.state } }
            if !filter.labelSelector.isEmpty {
                sandboxes.removeAll { sandbox in
                    filter.labelSelector.contains { sandbox.config.labels[$0.key] != $0.value }
                }
            }
        }
        sandboxes.sort { $0.createdAt > $1.createdAt }
        return .with {
            $0.items = sandboxes.map { sandbox in
                .with {
                    $0.id = sandbox.id
                    $0.metadata = sandbox.metadata
                    $0.state = sandbox.state
                    $0.createdAt = sandbox.createdAt
                    $0.labels = sandbox.config.labels
                    $0.annotations = sandbox.config.annotations
                    $0.runtimeHandler = sandbox.reportedHandler
                }
            }
        }
    }
}
