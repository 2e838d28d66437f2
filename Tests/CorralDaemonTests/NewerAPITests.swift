import CRIAPI
import CorralSystem
@testable import CorralDaemon
import Testing

/// The calls and fields cri-api added after v1.26: each either does what it says or answers
/// with a code that names what is missing.
@Suite("CRI calls since v1.26")
struct NewerAPITests {
    @Test func inPlacePodResizeIsCheckedAndAcknowledged() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        _ = try await fixture.service.updatePodSandboxResources(.with {
            $0.podSandboxID = pod
            $0.resources.memoryLimitInBytes = 256 << 20
            $0.resources.cpuQuota = -1
        })
        let negative = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.updatePodSandboxResources(.with {
                $0.podSandboxID = pod
                $0.overhead.cpuShares = -2
            })
        }
        #expect(negative?.code == .invalidArgument && negative?.message.contains("overhead.cpu_shares") == true,
                "\(String(describing: negative))")
        let unknown = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.updatePodSandboxResources(.with { $0.podSandboxID = "0123456789abcdef" })
        }
        #expect(unknown?.code == .notFound)
        _ = try await fixture.service.stopPodSandbox(.with { $0.podSandboxID = pod })
        let stopped = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.updatePodSandboxResources(.with { $0.podSandboxID = pod })
        }
        #expect(stopped?.code == .failedPrecondition)
    }

    @Test func anImageVolumeIsUnimplementedAndNamed() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        var config = fixture.containerConfig("app")
        config.mounts = [.with { $0.containerPath = "/models"; $0.image.image = "registry.test/models:1" }]
        let error = await #expect(throws: CRIError.self) {
            _ = try await fixture.service.createContainer(.with { $0.podSandboxID = pod; $0.config = config })
        }
        #expect(error?.code == .unimplemented && error?.message.contains("image volumes") == true
                && error?.message.contains("/models") == true, "\(String(describing: error))")
        #expect(fixture.store.containers.isEmpty)
    }
}

@Suite("container features of cri-api v1.29 to v1.33")
struct ContainerFeatureTests {
    func create(_ fixture: ServiceFixture, pod: String, _ configure: (inout Runtime_V1_ContainerConfig) -> Void)
    async throws(CRIError) -> String {
        var config = fixture.containerConfig("app")
        configure(&config)
        return try await fixture.service.createContainer(.with { $0.podSandboxID = pod; $0.config = config }).containerID
    }

    @Test func aRecursiveReadOnlyMountBindsAStagedCopyReleasedOnceTheContainerHasItsOwn() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        let id = try await create(fixture, pod: pod) { config in
            config.mounts = [.with { $0.hostPath = "/"; $0.containerPath = "/host"; $0.readonly = true; $0.recursiveReadOnly = true },
                             .with { $0.hostPath = "/tmp"; $0.containerPath = "/scratch"; $0.readonly = true }]
        }
        let bundle = fixture.service.settings.containersDir + "/" + id
        let mounts = try CreateContainerTests().spec(fixture, id).mounts ?? []
        let host = try #require(mounts.first { $0.destination == "/host" })
        let staged = fixture.staging.state.withLock { $0.staged }
        #expect(host.source?.hasPrefix(bundle + "/staged/m") == true && staged[host.source ?? ""] == "/", "\(host) \(staged)")
        #expect(host.options?.contains("rro") == false && host.options?.contains("ro") == true, "\(host)")
        // Started, the container holds copies of its own; corrald's is released.
        _ = try await fixture.service.startContainer(.with { $0.containerID = id })
        #expect(fixture.staging.state.withLock { $0.staged.isEmpty && $0.released == [bundle + "/staged"] })
        // A plain read-only bind is the runtime's to make.
        #expect(mounts.first { $0.destination == "/scratch" }?.source == "/tmp")
        _ = try await fixture.service.removeContainer(.with { $0.containerID = id })
        #expect(fixture.staging.state.withLock { $0.released.count == 2 })
    }

    @Test func aCopyThatCannotBeStagedFailsTheCreateAndLeavesNothing() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        fixture.staging.state.withLock { $0.failOn = "/tmp" }
        let error = await #expect(throws: CRIError.self) {
            _ = try await create(fixture, pod: pod) { config in
                config.mounts = [.with { $0.hostPath = "/"; $0.containerPath = "/a"; $0.readonly = true; $0.recursiveReadOnly = true },
                                 .with { $0.hostPath = "/tmp"; $0.containerPath = "/b"; $0.readonly = true; $0.recursiveReadOnly = true }]
            }
        }
        #expect(error?.code == .internalError && error?.message.contains("/tmp at /b") == true, "\(String(describing: error))")
        #expect(fixture.staging.state.withLock { $0.staged.isEmpty })
        #expect(fixture.store.containers.isEmpty)
        #expect(try FileSystem.listDirectory(fixture.service.settings.containersDir).isEmpty)
    }

    @Test func theStopSignalIsThePodSpecsThenTheImagesAndStatusNamesIt() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        // The fixture's image says SIGINT.
        let fromImage = try await create(fixture, pod: pod) { _ in }
        let fromSpec = try await create(fixture, pod: pod) { $0.metadata.name = "other"; $0.stopSignal = .sigrtminplus3 }
        #expect(fixture.store.containers[fromImage]?.stopSignal == 2)
        #expect(fixture.store.containers[fromSpec]?.stopSignal == 37)
        let status = try await fixture.service.containerStatus(.with { $0.containerID = fromSpec }).status
        #expect(status.stopSignal == .sigrtminplus3)
        #expect(status.imageID == fixture.store.containers[fromSpec]?.imageID)
        let error = await #expect(throws: CRIError.self) {
            _ = try await create(fixture, pod: pod) { $0.metadata.name = "third"; $0.stopSignal = .UNRECOGNIZED(99) }
        }
        #expect(error?.code == .invalidArgument && error?.message.contains("config.stop_signal") == true)
    }

    @Test func statusReportsTheUserTheSpecAsksForUntilThereIsAProcess() async throws {
        let fixture = try await ServiceFixture()
        let pod = try await fixture.runPod("web")
        let id = try await create(fixture, pod: pod) {
            $0.linux.securityContext.runAsUser = .with { $0.value = 1000 }
            $0.linux.securityContext.runAsGroup = .with { $0.value = 3000 }
            $0.linux.securityContext.supplementalGroups = [4000]
        }
        let user = try await fixture.service.containerStatus(.with { $0.containerID = id }).status.user.linux
        #expect(user.uid == 1000 && user.gid == 3000 && user.supplementalGroups == [3000, 4000], "\(user)")
        // And after a restart of corrald, from the store.
        let reloaded = try ProcessIdentity(recordText: #require(fixture.store.containers[id]?.user?.recordText))
        #expect(reloaded == ProcessIdentity(uid: 1000, gid: 3000, groups: [3000, 4000]))
    }

    @Test func statusAnnouncesTheFeaturesOfEveryHandlerAndTheDefault() async throws {
        let fixture = try await ServiceFixture()
        let status = fixture.service.status(.init())
        #expect(status.features.supplementalGroupsPolicy)
        #expect(status.runtimeHandlers.map(\.name) == ["", "runc"])
        #expect(status.runtimeHandlers.allSatisfy { $0.features.recursiveReadOnlyMounts })
    }
}

@Suite("a process's identity and signal names")
struct ProcessIdentityTests {
    @Test func hostIDsAreMappedBackIntoTheContainersUserNamespace() {
        let status = "Name:\tsleep\nUid:\t101000\t101000\t101000\t101000\nGid:\t101000\t101000\t101000\t101000\nGroups:\t101000 101234 165534\n"
        let identity = ProcessIdentity.parse(status: status, uidMap: "         0     100000      65536\n",
                                             gidMap: "         0     100000      65536\n")
        #expect(identity == ProcessIdentity(uid: 1000, gid: 1000, groups: [1000, 1234, 65534]))
        // Without a user namespace the map is the identity.
        let plain = ProcessIdentity.parse(status: "Uid:\t5\t5\t5\t5\nGid:\t6\t6\t6\t6\nGroups:\t\n",
                                          uidMap: "0 0 4294967295\n", gidMap: "0 0 4294967295\n")
        #expect(plain == ProcessIdentity(uid: 5, gid: 6, groups: []))
        // An id outside every range is not the container's to report.
        #expect(ProcessIdentity.parse(status: "Uid:\t7\nGid:\t7\n", uidMap: "0 100000 10\n", gidMap: "0 100000 10\n") == nil)
    }

    @Test(arguments: [("SIGTERM", Int32(15)), ("term", 15), ("SIGRTMIN+3", 37), ("RTMAX-1", 63), ("9", 9), ("SIGIOT", 6)])
    func imageStopSignals(_ name: String, _ number: Int32) {
        #expect(StopSignals.number(named: name) == number)
    }

    @Test func criSignalsRoundTrip() {
        for signal in Runtime_V1_Signal.allCases where signal != .runtimeDefault {
            let number = StopSignals.number(of: signal)
            #expect(number != nil, "\(signal)")
            // Aliases (SIGIOT, SIGCLD, SIGPOLL) come back as their first name.
            #expect(number.flatMap { StopSignals.number(of: StopSignals.criSignal($0)) } == number, "\(signal)")
        }
        #expect(StopSignals.criSignal(15) == .sigterm && StopSignals.criSignal(6) == .sigabrt)
        #expect(StopSignals.number(named: "SIGNOPE") == nil && StopSignals.number(named: "65") == nil)
    }
}
