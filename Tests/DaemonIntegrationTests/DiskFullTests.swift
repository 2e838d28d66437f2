import CRIAPI
import CorralSystem
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The file system under corrald's root (images and the containers' writable layers) full: a
/// container writing into it gets ENOSPC, the node goes on answering, a container that cannot
/// get its layer fails with a clear error and leaves nothing, and once space is freed everything
/// works again.
@Suite("a full disk", .serialized, .enabled(if: DaemonFixture.available))
struct DiskFullTests {
    @Test("a container that fills the disk gets ENOSPC; the node answers; once freed, containers start and write again")
    func containerFillsTheDisk() async throws {
        let daemon = try DaemonFixture()
        // The busybox image takes about 2 MiB of it.
        try Mounts.mount("tmpfs", on: daemon.root, type: "tmpfs", data: "size=24m")
        do {
            try await daemon.start()
            try await Self.fillAndRecover(daemon)
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    static func fillAndRecover(_ daemon: DaemonFixture) async throws {
        let pod = try await daemon.runPod("filler")
        let filler = try await daemon.runContainer(pod: pod, "filler", ["sh", "-c", "sleep 2; dd if=/dev/zero of=/fill bs=1M; echo dd exited $?; sleep 3600"])
        #expect(await eventually { daemon.containerLog(pod: "filler", "filler").contains("dd exited 1") },
                "dd never ran out of space: \(daemon.containerLog(pod: "filler", "filler"))")
        #expect(daemon.containerLog(pod: "filler", "filler").contains("No space left on device"))

        // The node answers: an exec into the full container, status, lists.
        let probe = try await daemon.runtime.execSync(.with { $0.containerID = filler; $0.cmd = ["echo", "alive"]; $0.timeout = 10 })
        #expect(probe.exitCode == 0 && probe.stdout == Data("alive\n".utf8))
        #expect(try await daemon.containerState(filler).state == .containerRunning)
        #expect(try await daemon.runtime.listContainers(.init()).containers.count == 1)

        // A second container in the full file system: started (it needs no space of its own),
        // or refused with the reason; never left half made.
        do {
            let second = try await daemon.runContainer(pod: pod, "second", ["sh", "-c", "echo hi > /note && cat /note; sleep 3600"])
            #expect(try await daemon.containerState(second).state != .containerUnknown)
        } catch let error as RPCError {
            print("a container created on a full disk: \(error)")
            #expect(error.message.contains("No space left on device") || error.message.contains("disk is full"), "\(error)")
            #expect(try await daemon.runtime.listContainers(.init()).containers.count == 1)
            #expect(try FileSystem.listDirectory(daemon.root + "/containers") == [filler], "a half-made writable layer is left")
        }

        // Freed, everything works: writes in the old container and a new one.
        let freed = try await daemon.runtime.execSync(.with { $0.containerID = filler; $0.cmd = ["rm", "/fill"]; $0.timeout = 10 })
        #expect(freed.exitCode == 0)
        let wrote = try await daemon.runtime.execSync(.with {
            $0.containerID = filler; $0.cmd = ["sh", "-c", "echo back > /again && cat /again"]; $0.timeout = 10
        })
        #expect(wrote.stdout == Data("back\n".utf8))
        let third = try await daemon.runContainer(pod: pod, "third", ["sh", "-c", "echo fine > /f && cat /f && sleep 3600"])
        #expect(await eventually { daemon.containerLog(pod: "filler", "third").contains("fine") })
        #expect(try await daemon.containerState(third).state == .containerRunning)
    }
}
