import CRIAPI
import CorralSystem
import Foundation

extension CRIService {
    static let runtimeName = "corral"
    static let runtimeAPIVersion = "v1"

    func version(_ request: Runtime_V1_VersionRequest) -> Runtime_V1_VersionResponse {
        .with {
            $0.version = "0.1.0"
            $0.runtimeName = Self.runtimeName
            $0.runtimeVersion = BuildInfo.version
            $0.runtimeApiVersion = Self.runtimeAPIVersion
        }
    }

    /// RuntimeReady always (we answer); NetworkReady only once a CNI config exists, with the
    /// reason kubelet shows the operator until then.
    func status(_ request: Runtime_V1_StatusRequest) -> Runtime_V1_StatusResponse {
        let runtimeReady = Runtime_V1_RuntimeCondition.with {
            $0.type = "RuntimeReady"
            $0.status = true
        }
        let cniConfig = firstCNIConfig()
        let networkReady = Runtime_V1_RuntimeCondition.with {
            $0.type = "NetworkReady"
            $0.status = cniConfig != nil
            if cniConfig == nil {
                $0.reason = "NetworkPluginNotReady"
                $0.message = "Network plugin returns error: no CNI network config found in \(settings.cniConfDir)"
            }
        }
        return .with {
            $0.status.conditions = [runtimeReady, networkReady]
            $0.runtimeHandlers = runtimeHandlers()
            $0.features.supplementalGroupsPolicy = true
            if request.verbose {
                let info: [String: Any] = [
                    "cniConfig": ["confDir": settings.cniConfDir, "binDirs": settings.cniBinDirs,
                                  "network": cniConfig ?? ""],
                    "runtimes": Dictionary(uniqueKeysWithValues: settings.runtimes.map { ($0.name, $0.path) }),
                    "defaultRuntime": settings.defaultRuntime,
                    "podCIDR": podCIDR.withLock { $0 },
                ]
                $0.info["config"] = VerboseJSON.encode(info)
            }
        }
    }

    /// What each handler can do, the default one also under the empty name kubelet and critest
    /// ask for when a pod names no runtime class.
    func runtimeHandlers() -> [Runtime_V1_RuntimeHandler] {
        let features = Runtime_V1_RuntimeHandlerFeatures.with {
            // Staged by corrald for every runtime (StagedMounts).
            $0.recursiveReadOnlyMounts = true
            // The pod's user namespace is the shim's, its ID-mapped layers and binds corrald's
            // (StagedMounts): neither depends on the runtime.
            $0.userNamespaces = true
        }
        let names = [""] + settings.runtimes.map(\.name)
        return names.map { name in .with { $0.name = name; $0.features = features } }
    }

    func runtimeConfig(_ request: Runtime_V1_RuntimeConfigRequest) -> Runtime_V1_RuntimeConfigResponse {
        .with { $0.linux.cgroupDriver = settings.systemdCgroup ? .systemd : .cgroupfs }
    }

    func updateRuntimeConfig(_ request: Runtime_V1_UpdateRuntimeConfigRequest) -> Runtime_V1_UpdateRuntimeConfigResponse {
        let cidr = request.runtimeConfig.networkConfig.podCidr
        if !cidr.isEmpty {
            podCIDR.withLock { $0 = cidr }
            logger.info("pod CIDR updated", metadata: ["cidr": "\(cidr)"])
        }
        return .init()
    }

    /// The first network config file by name, as the shim will pick it.
    func firstCNIConfig() -> String? {
        // A conf dir that is missing or unreadable holds no network: NetworkReady says so.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: settings.cniConfDir)) ?? []
        return names.sorted().first { $0.hasSuffix(".conflist") || $0.hasSuffix(".conf") || $0.hasSuffix(".json") }
    }
}

/// JSON for the verbose `info` maps, which kubelet and crictl print as they are.
enum VerboseJSON {
    static func encode(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
              // Strings and numbers only: this encoding cannot fail.
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
