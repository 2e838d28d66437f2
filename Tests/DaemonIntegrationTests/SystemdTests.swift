import CRIAPI
import CorralSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// corrald under systemd without systemd as PID 1: the notify protocol on a NOTIFY_SOCKET of
/// the test's own, and socket activation through Debian's systemd-socket-activate.
@Suite("corrald and systemd", .serialized, .enabled(if: DaemonFixture.available))
struct SystemdTests {
    @Test("READY=1 comes after STATUS, once the socket serves; STOPPING=1 on SIGTERM")
    func notify() async throws {
        let daemon = try DaemonFixture()
        let path = daemon.dir + "/notify.sock"
        let socket = try NotifySocket(path: path)
        defer { socket.close() }
        do {
            try await daemon.start(environment: ["NOTIFY_SOCKET=\(path)"])
            var messages = socket.receiveAll()
            #expect(messages.contains { $0.hasPrefix("STATUS=") })
            let ready = messages.firstIndex { $0.contains("READY=1") }
            let status = messages.firstIndex { $0.hasPrefix("STATUS=reconnecting") }
            #expect(ready != nil)
            if let ready, let status { #expect(status < ready) }
            // The daemon answered a CRI call before the test got here: READY meant it.
            await daemon.stop()
            messages += socket.receiveAll()
            #expect(messages.contains { $0.contains("STOPPING=1") })
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    @Test("cgroup_driver = \"systemd\" is refused, naming the key and the fix, where systemd is not the init system",
          .enabled(if: !FileSystem.exists("/run/systemd/system")))
    func systemdDriverWithoutSystemd() async throws {
        let daemon = try DaemonFixture(cgroupDriver: "systemd")
        defer { FileSystem.removeTree(daemon.dir) }
        var failure = ""
        do {
            try await daemon.start()
            await daemon.stop()
        } catch {
            failure = "\(error)"
        }
        #expect(failure.contains("corrald exited"), "corrald started: \(failure)")
        #expect(failure.contains("cgroup_driver") && failure.contains("/run/systemd/system") && failure.contains("cgroupfs"), "\(failure)")
        #expect(!FileSystem.exists(daemon.socket), "corrald made its socket before refusing")
    }

    @Test("with a socket from systemd-socket-activate, corrald serves the CRI on it")
    func socketActivation() async throws {
        guard FileSystem.exists("/usr/bin/systemd-socket-activate") else { return }
        let daemon = try DaemonFixture()
        do {
            try await daemon.start(wrapper: ["/usr/bin/systemd-socket-activate", "-l", daemon.socket])
            let version = try await daemon.runtime.version(.init())
            #expect(version.runtimeName == "corral")
            let pod = try await daemon.runPod("activated")
            #expect(try await daemon.runtime.listPodSandbox(.init()).items.map(\.id) == [pod])
            let log = (try? String(contentsOfFile: daemon.daemonLog, encoding: .utf8)) ?? ""
            #expect(log.contains("socket activation"))
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }
}

extension SystemdTests {
    /// The units as shipped, with ExecStart pointed at the corrald built for this test run.
    @Test("systemd-analyze verify accepts corrald.service and corrald.socket")
    func unitsVerify() throws {
        guard FileSystem.exists("/usr/bin/systemd-analyze") else { return }
        let repo = FileSystem.parent(of: FileSystem.parent(of: FileSystem.parent(of: #filePath)))
        let dir = "/tmp/corral-units-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for unit in ["corrald.service", "corrald.socket"] {
            let text = try String(contentsOfFile: repo + "/daemon/" + unit, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/corrald", with: DaemonFixture.binDir + "/corrald")
            try text.write(toFile: dir + "/" + unit, atomically: true, encoding: .utf8)
        }
        let output = try TestImage.run("/usr/bin/systemd-analyze", ["verify", dir + "/corrald.socket", dir + "/corrald.service"])
        #expect(output.isEmpty)
    }
}

/// A datagram socket playing systemd's side of sd_notify.
struct NotifySocket {
    let fd: Int32

    /// `receiveBuffer`: the socket's buffer in bytes (SO_RCVBUF), for senders that send a lot at once.
    init(path: String, receiveBuffer: Int32 = 0) throws {
        fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        if receiveBuffer > 0 {
            var size = receiveBuffer
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = Self.address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind \(path): \(errno)") }
    }

    /// Whether something listens on the datagram socket at `path`.
    static func isLive(_ path: String) -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { Glibc.close(fd) }
        var address = address(path)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }

    private static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        return address
    }

    /// Every message waiting now, without blocking.
    func receiveAll() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard n > 0 else { return messages }
            messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
        }
    }

    func close() {
        Glibc.close(fd)
    }
}
