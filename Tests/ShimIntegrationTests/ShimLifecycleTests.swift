import CorralShim
import CorralSystem
import Foundation
import ShimAPI
import ShimContract
import Testing
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

@Suite("corral-shim lifecycle", .enabled(if: ShimHarness.binaryExists && getuid() == 0, "needs root and a built corral-shim"))
struct ShimLifecycleTests {
    @Test func startDetachesServesAndWritesBootstrap() async throws {
        let shim = ShimHarness()
        let (address, pid, client) = try shim.start()
        defer { client.close() }

        #expect(address == shim.paths.address)
        let bootstrap = try #require(Bootstrap.read(from: shim.paths.bootstrap))
        #expect(bootstrap.protocolVersion == ShimProtocol.version)
        #expect(bootstrap.address == address)
        // Its own session, not our child, and a child subreaper.
        #expect(getsid(pid) == pid)
        let status = try FileSystem.readText("/proc/\(pid)/status")
        #expect(!status.contains("PPid:\t\(getpid())\n"))
        var info = stat()
        #expect(stat(shim.paths.socketPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(FileSystem.exists(shim.paths.log))

        let version = try await client.call(DebugMethods.version, .init())
        #expect(version.version == BuildInfo.version)
        #expect(version.protocolVersion == ShimProtocol.version)
        _ = try await client.call(DebugMethods.ping, .init())
        let details = try await client.call(DebugMethods.info, .init())
        #expect(details.pid == UInt32(pid))
        #expect(details.sandboxID == shim.id)
        #expect(details.vmRssBytes > 0)
        #expect(details.pssBytes > 0)
        #expect(details.openFds > 0)
        #expect(details.threads > 0)
        #expect(details.address == address)
    }

    @Test func secondStartFindsTheLiveShim() throws {
        let shim = ShimHarness()
        let first = try shim.start()
        defer { first.client.close() }
        let again = try shim.run("start")
        #expect(again.status == 0)
        // The same record: the live shim's.
        #expect(Bootstrap(startOutput: again.stdout) == Bootstrap(address: first.address, pid: first.pid))
        #expect(Bootstrap.read(from: shim.paths.bootstrap)?.pid == first.pid)
    }

    @Test func socketPathFitsWhateverTheStateDir() async throws {
        let deep = (0..<12).map { _ in "a-rather-long-directory-name" }.joined(separator: "/")
        let shim = ShimHarness(stateSubpath: deep)
        #expect(shim.stateDir.utf8.count > 300)
        let (address, _, client) = try shim.start()
        defer { client.close() }
        #expect(address.utf8.count - "unix://".count <= UnixSocket.maxPathLength)
        _ = try await client.call(DebugMethods.ping, .init())
    }

    @Test func shutdownEndsTheShimAndRemovesItsSocket() async throws {
        let shim = ShimHarness()
        let (_, pid, client) = try shim.start()
        defer { client.close() }
        _ = try await client.call(SandboxMethods.shutdownSandbox, .init())
        #expect(await ShimHarness.waitForExit(pid))
        #expect(!FileSystem.exists(shim.paths.socketPath))
        #expect(!FileSystem.exists(shim.paths.bootstrap))
        let log = try FileSystem.readText(shim.paths.log)
        #expect(log.contains("exiting"))
    }

    @Test func badTaskRequestsNameTheField() async throws {
        let shim = ShimHarness()
        let (_, _, client) = try shim.start()
        defer { client.close() }
        do {
            _ = try await client.call(TaskMethods.create, .init())
            Issue.record("Task/Create of nothing answered")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("id"))
        }
        do {
            _ = try await client.call(TaskMethods.state, .with { $0.id = "nope" })
            Issue.record("State of an unknown task answered")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message.contains("nope"))
        }
    }

    @Test func deleteCleansUpAfterAKilledShimAndIsIdempotent() async throws {
        let shim = ShimHarness()
        let (_, pid, client) = try shim.start()
        client.close()
        kill(pid, SIGKILL)
        #expect(await ShimHarness.waitForExit(pid))
        #expect(FileSystem.exists(shim.paths.socketPath))
        #expect(try shim.run("delete").status == 0)
        #expect(!FileSystem.exists(shim.paths.socketPath))
        #expect(!FileSystem.exists(shim.stateDir))
        #expect(try shim.run("delete").status == 0)
    }

    @Test func startAfterACrashReplacesTheStaleShim() async throws {
        let shim = ShimHarness()
        let first = try shim.start()
        first.client.close()
        kill(first.pid, SIGKILL)
        #expect(await ShimHarness.waitForExit(first.pid))
        let second = try shim.start()
        defer { second.client.close() }
        #expect(second.pid != first.pid)
        _ = try await second.client.call(DebugMethods.ping, .init())
    }

    @Test func badCommandLinesAreRefusedClearly() throws {
        let missing = try ShimHarness.run(["start", "--id", "x"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--state-dir is required"))
        let badID = try ShimHarness.run(["start", "--id", "../etc", "--state-dir", "/tmp/x"])
        #expect(badID.status == 2)
        #expect(badID.stderr.contains("--id"))
    }

    @Test func debugLogsAndRecentRPCs() async throws {
        let shim = ShimHarness()
        let (_, _, client) = try shim.start()
        defer { client.close() }
        _ = try await client.call(DebugMethods.ping, .init())
        let logs = try await client.call(DebugMethods.logs, .init())
        #expect(logs.lines.contains { $0.contains("serving pod \(shim.id)") })
        let rpcs = try await client.call(DebugMethods.recentRPCs, .init())
        #expect(rpcs.rpcs.contains { $0.method == "Ping" && $0.code == 0 })
    }
}
