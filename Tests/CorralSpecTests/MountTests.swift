import CorralSpec
import CRIAPI
import OCISpec
import Testing
import TestSupport

@Suite("Mounts: defaults, pod files, request binds, propagation")
struct MountTests {
    @Test func defaultLayout() throws {
        let result = try spec(makeInput())
        #expect(result.mounts?.map(\.destination) == [
            "/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
            "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev/shm",
        ])
        #expect(result.mount(at: "/proc") == Mount(destination: "/proc", type: "proc", source: "proc",
                                                   options: ["nosuid", "noexec", "nodev"]))
        #expect(result.mount(at: "/etc/hosts") == Mount(destination: "/etc/hosts", type: "bind", source: "/etc/hosts",
                                                        options: ["rbind", "rprivate", "rw"]))
        #expect(result.mount(at: "/dev/shm")?.source == "/dev/shm")
        #expect(result.mount(at: "/dev/shm")?.type == "bind")
        #expect(result.mounts?.contains { $0.destination == "/run" } == false)
        #expect(result.root == Root(path: "rootfs"))
    }

    @Test func recursiveReadOnlyIsMarkedForTheDaemonToStage() throws {
        var mount = criMount("/data", "/tmp", readonly: true)
        mount.recursiveReadOnly = true
        let result = try spec(makeInput { $0.mounts = [mount] })
        #expect(result.mount(at: "/data")?.options == ["rbind", "rprivate", "ro", "rro"])
    }

    @Test(arguments: [(false, Runtime_V1_MountPropagation.propagationPrivate, "recursive_read_only needs readonly"),
                      (true, .propagationHostToContainer, "recursive_read_only conflicts with propagation"),
                      (true, .propagationBidirectional, "recursive_read_only conflicts with propagation")])
    func recursiveReadOnlyNeedsReadOnlyAndPrivate(_ readonly: Bool, _ propagation: Runtime_V1_MountPropagation, _ words: String) {
        var mount = criMount("/data", "/tmp", readonly: readonly, propagation: propagation)
        mount.recursiveReadOnly = true
        let error = specError { try makeContainerSpec(makeInput { $0.mounts = [mount] }) }
        #expect(error?.message.hasPrefix("mounts[0] at /data: " + words) == true, "\(String(describing: error))")
    }

    @Test func readonlyRootfsMakesPodFilesReadOnly() throws {
        let result = try spec(makeInput { $0.linux.securityContext.readonlyRootfs = true })
        #expect(result.root == Root(path: "rootfs", readonly: true))
        for destination in ["/etc/hosts", "/etc/resolv.conf", "/etc/hostname"] {
            #expect(result.mount(at: destination)?.options == ["rbind", "rprivate", "ro"])
        }
        #expect(result.mount(at: "/dev/shm")?.options == ["rbind", "rprivate", "rw"])
    }

    @Test func podShmFromTheDaemon() throws {
        let directory = try TemporaryDirectory()
        let shm = try directory.directory("shm")
        var input = makeInput()
        input.podFiles.shm = shm
        #expect(try spec(input).mount(at: "/dev/shm")?.source == shm)
    }

    @Test func hostIPCGetsTheHostsShm() throws {
        let directory = try TemporaryDirectory()
        var input = makeInput { $0.linux.securityContext.namespaceOptions.ipc = .node }
        input.podFiles.shm = try directory.directory("shm")
        #expect(try spec(input).mount(at: "/dev/shm")?.source == "/dev/shm")
    }

    @Test func withoutAPodShmTheDefaultTmpfsStays() throws {
        var input = makeInput()
        input.podFiles = PodFileMounts()
        let result = try spec(input)
        #expect(result.mount(at: "/dev/shm")?.type == "tmpfs")
        #expect(result.mount(at: "/etc/hosts") == nil)
    }

    @Test func requestMountReplacesAPodFile() throws {
        let directory = try TemporaryDirectory()
        let hosts = try directory.write("hosts", "10.0.0.1 db\n")
        let result = try spec(makeInput { $0.mounts = [criMount("/etc/hosts", hosts, readonly: true)] })
        let matching = result.mounts?.filter { $0.destination == "/etc/hosts" } ?? []
        #expect(matching == [Mount(destination: "/etc/hosts", type: "bind", source: hosts, options: ["rbind", "rprivate", "ro"])])
    }

    @Test func requestMountOfDevHidesDefaultsBelowIt() throws {
        let directory = try TemporaryDirectory()
        let dev = try directory.directory("dev")
        let result = try spec(makeInput { $0.mounts = [criMount("/dev", dev)] })
        let destinations = result.mounts?.map(\.destination) ?? []
        #expect(!destinations.contains("/dev/pts"))
        #expect(!destinations.contains("/dev/mqueue"))
        #expect(destinations.filter { $0 == "/dev" }.count == 1)
        #expect(result.mount(at: "/dev")?.type == "bind")
    }

    @Test func shallowBeforeDeep() throws {
        let directory = try TemporaryDirectory()
        let deep = try directory.directory("deep")
        let top = try directory.directory("top")
        let result = try spec(makeInput { $0.mounts = [criMount("/data/cache/x", deep), criMount("/data", top)] })
        let binds = result.mounts?.filter { $0.type == "bind" }.map(\.destination) ?? []
        #expect(binds == ["/data", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev/shm", "/data/cache/x"])
    }

    @Test func symlinkedHostPathIsResolved() throws {
        let directory = try TemporaryDirectory()
        let target = try directory.directory("real")
        let link = try directory.symlink("link", to: target)
        let result = try spec(makeInput { $0.mounts = [criMount("/data", link)] })
        #expect(result.mount(at: "/data")?.source == target)
    }

    struct PropagationCase: Sendable, CustomTestStringConvertible {
        var modes: [Runtime_V1_MountPropagation]
        var options: [String]
        var rootfs: String?
        var testDescription: String { "\(modes.map(\.rawValue)) → \(rootfs ?? "nil")" }
    }

    @Test(arguments: [
        PropagationCase(modes: [.propagationPrivate], options: ["rprivate"], rootfs: nil),
        PropagationCase(modes: [.propagationHostToContainer], options: ["rslave"], rootfs: "rslave"),
        PropagationCase(modes: [.propagationBidirectional], options: ["rshared"], rootfs: "rshared"),
        PropagationCase(modes: [.propagationBidirectional, .propagationHostToContainer], options: ["rshared", "rslave"],
                        rootfs: "rshared"),
        PropagationCase(modes: [.propagationHostToContainer, .propagationPrivate], options: ["rslave", "rprivate"],
                        rootfs: "rslave"),
    ])
    func propagation(_ test: PropagationCase) throws {
        let directory = try TemporaryDirectory()
        var mounts: [Runtime_V1_Mount] = []
        for (index, mode) in test.modes.enumerated() {
            mounts.append(criMount("/m\(index)", try directory.directory("m\(index)"), propagation: mode))
        }
        let result = try spec(makeInput { $0.mounts = mounts })
        for (index, option) in test.options.enumerated() {
            #expect(result.mount(at: "/m\(index)")?.options == ["rbind", option, "rw"])
        }
        #expect(result.linux?.rootfsPropagation == test.rootfs)
    }

    @Test func missingHostPathIsNotFound() throws {
        let directory = try TemporaryDirectory()
        let ok = try directory.directory("ok")
        let input = makeInput { $0.mounts = [criMount("/ok", ok), criMount("/data", "/nope")] }
        #expect(specError { try makeContainerSpec(input) }
                == .notFound("mounts[1].host_path \"/nope\": no such file or directory"))
    }

    @Test(arguments: ["data", "", "./data"])
    func relativeContainerPathIsRefused(_ path: String) {
        let input = makeInput { $0.mounts = [criMount(path, "/tmp")] }
        #expect(specError { try makeContainerSpec(input) }
                == .invalidArgument("mounts[0].container_path \"\(path)\": not an absolute path"))
    }

    @Test func duplicateDestinationsAreRefused() {
        let input = makeInput { $0.mounts = [criMount("/data", "/tmp"), criMount("/data/", "/var")] }
        #expect(specError { try makeContainerSpec(input) }
                == .invalidArgument("mounts[1].container_path \"/data/\": also the destination of mounts[0]"))
    }

    @Test func emptyHostPathIsRefused() {
        let input = makeInput { $0.mounts = [criMount("/data", "")] }
        #expect(specError { try makeContainerSpec(input) } == .invalidArgument("mounts[0].host_path: empty"))
    }
}
