import CRIAPI
import CorralSystem
import Foundation
import GRPCCore
import ShimAPI
import ShimContract
import TTRPC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A shim outlives the corrald that started it, so a corrald may meet a shim of another release:
/// it drives only the protocol versions it speaks, and refuses the others with a clear error
/// before any call could misread an answer.
@Suite("shim protocol versions", .serialized, .enabled(if: DaemonFixture.available))
struct ShimVersionTests {
    static let foreign = ShimProtocol.understood.upperBound + 1

    @Test func aNewShimOfAnotherVersionIsRefusedAndNothingIsLeft() async throws {
        var template = Array("/tmp/corral-foreign-XXXXXX".utf8CString)
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
        defer { FileSystem.removeTree(dir) }
        // `start` prints the record a shim of another release would: its version, an address, a pid.
        let fake = dir + "/corral-shim"
        try "#!/bin/sh\necho '{\"version\":\(Self.foreign),\"address\":\"unix://\(dir)/none.sock\",\"pid\":1}'\n"
            .write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let daemon = try DaemonFixture(shimPath: fake)
        do {
            try await daemon.start()
            do {
                _ = try await daemon.runPod("foreign")
                Issue.record("a shim speaking protocol \(Self.foreign) was driven")
            } catch let error as GRPCCore.RPCError {
                #expect(error.code == .failedPrecondition, "\(error)")
                #expect(error.message.contains("shim protocol \(Self.foreign)"), "\(error.message)")
            }
            #expect(try await daemon.runtime.listPodSandbox(.init()).items.isEmpty)
            #expect(daemon.leftovers() == [])
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    @Test func aRunningShimThatAnswersAnotherVersionIsRefusedAfterARestart() async throws {
        try await DaemonFixture.with { daemon in
            let pod = try await daemon.runPod("outlived")
            let container = try await daemon.runContainer(pod: pod, "main", ["sleep", "3600"])
            let shimPID = try await daemon.shimPID(of: pod)
            let socket = try await daemon.shimSocket(of: pod)
            await daemon.crash()
            // The shim at the pod's address now answers as one of another release.
            unlink(socket)
            let impostor = Server(path: socket, services: [Self.debugService(answering: Self.foreign)])
            try impostor.start()
            try await daemon.start()
            let code = await statusCode {
                _ = try await daemon.runtime.execSync(.with { $0.containerID = container; $0.cmd = ["true"]; $0.timeout = 5 })
            }
            #expect(code == .failedPrecondition)
            try await daemon.waitForLog("shim protocol \(Self.foreign)")
            // Its containers are left alone: the shim of the other release still runs them.
            #expect(ProcessControl.isRunning(shimPID))
            impostor.stop()
            kill(shimPID, SIGKILL)
        }
    }

    static func debugService(answering version: UInt32) -> Service {
        var service = Service(name: DebugMethods.service)
        service.unary(DebugMethods.version) { _, _ in
            var response = Corral_Shim_V1_VersionResponse()
            response.version = "9.9.9"
            response.protocolVersion = version
            return response
        }
        service.unary(DebugMethods.ping) { _, _ in Corral_Shim_V1_PingResponse() }
        return service
    }
}
