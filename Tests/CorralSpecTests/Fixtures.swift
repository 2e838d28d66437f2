import CorralSpec
import CRIAPI
import OCISpec
import Testing

/// A host that can grant every capability, with swap accounting, on cgroup v1.
let testHost = HostFacts(capabilities: Capabilities.known, swapAccounting: true, unifiedCgroups: false,
                         hostname: "node-1")

let testPasswd = """
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
app:x:1000:1000:App:/home/app:/bin/sh
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
"""

let testGroup = """
root:x:0:
daemon:x:1:
app:x:1000:app
staff:x:50:app,www-data
audio:x:29:app
wheel:x:10:root
"""

/// A container "app" of pod "web" in namespace "default", image "docker.io/library/app:1" whose
/// entrypoint is /bin/app and cmd --serve; pod namespaces pinned under /run/corral/ns.
func makeInput(image: ImageExecutionConfig? = ImageExecutionConfig(env: ["PATH=/usr/bin:/bin", "LANG=C"],
                                                                     entrypoint: ["/bin/app"], cmd: ["--serve"]),
               imageFiles: [String: String] = ["/etc/passwd": testPasswd, "/etc/group": testGroup],
               container configure: (inout Runtime_V1_ContainerConfig) -> Void = { _ in },
               sandbox configureSandbox: (inout Runtime_V1_PodSandboxConfig) -> Void = { _ in }) -> ContainerSpecInput {
    var config = Runtime_V1_ContainerConfig()
    config.metadata.name = "app"
    config.image.image = "docker.io/library/app:1"
    configure(&config)

    var sandbox = Runtime_V1_PodSandboxConfig()
    sandbox.metadata.name = "web"
    sandbox.metadata.namespace = "default"
    sandbox.metadata.uid = "uid-1234"
    sandbox.hostname = "web"
    configureSandbox(&sandbox)

    let files = imageFiles
    return ContainerSpecInput(
        containerID: "c0ffee", sandboxID: "5a4d", config: config, sandboxConfig: sandbox,
        image: ImageConfiguration(architecture: "amd64", os: "linux", config: image,
                                  rootfs: ImageRootFS(diffIDs: [])),
        imageName: "docker.io/library/app:1",
        namespaces: PodNamespacePaths(network: "/run/corral/ns/net", ipc: "/run/corral/ns/ipc",
                                      uts: "/run/corral/ns/uts", pid: "/run/corral/ns/pid"),
        podFiles: PodFileMounts(hosts: "/etc/hosts", resolvConf: "/etc/resolv.conf", hostname: "/etc/hostname",
                           shm: "/dev/shm"),
        cgroupsPath: "/corral/pod/c0ffee",
        readImageFile: { path in files[path].map { Array($0.utf8) } },
        daemonOOMScoreAdj: -999, hostHasAppArmor: false, host: testHost)
}

/// The error a throwing call ends with, or nil when it succeeds.
func specError<T>(_ body: () throws -> T) -> SpecError? {
    do {
        _ = try body()
        return nil
    } catch let error as SpecError {
        return error
    } catch {
        Issue.record("expected a SpecError, got \(error)")
        return nil
    }
}

func spec(_ input: ContainerSpecInput) throws -> Spec {
    try makeContainerSpec(input)
}

extension Spec {
    func mount(at destination: String) -> Mount? {
        mounts?.first { $0.destination == destination }
    }

    func namespace(_ type: NamespaceType) -> LinuxNamespace? {
        linux?.namespaces?.first { $0.type == type }
    }
}

func keyValue(_ key: String, _ value: String) -> Runtime_V1_KeyValue {
    var pair = Runtime_V1_KeyValue()
    pair.key = key
    pair.value = value
    return pair
}

func criMount(_ container: String, _ host: String, readonly: Bool = false,
              propagation: Runtime_V1_MountPropagation = .propagationPrivate) -> Runtime_V1_Mount {
    var mount = Runtime_V1_Mount()
    mount.containerPath = container
    mount.hostPath = host
    mount.readonly = readonly
    mount.propagation = propagation
    return mount
}

func int64Value(_ value: Int64) -> Runtime_V1_Int64Value {
    var wrapped = Runtime_V1_Int64Value()
    wrapped.value = value
    return wrapped
}
