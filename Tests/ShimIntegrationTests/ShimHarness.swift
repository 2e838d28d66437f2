import CorralShim
import CorralSystem
import Foundation
import ShimAPI
import ShimContract
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `corral-shim` binary built next to this test bundle.
struct ShimHarness: ~Copyable {
    let root: String
    let id: String

    static var binary: String {
        let dir = FileSystem.parent(of: FileSystem.currentExecutable)
        return dir + "/corral-shim"
    }

    static var binaryExists: Bool { FileSystem.exists(binary) }

    init(id: String = "pod-\(UInt32.random(in: 0...UInt32.max))", stateSubpath: String = "pod") {
        var template = Array("/tmp/corral-shim-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        root = String(cString: made!)
        self.id = id
        self.stateSubpath = stateSubpath
    }

    let stateSubpath: String
    var stateDir: String { root + "/" + stateSubpath }
    var socketDir: String { root + "/s" }
    var paths: ShimPaths { ShimPaths(stateDir: stateDir, socketDir: socketDir) }

    deinit {
        if let bootstrap = Bootstrap.read(from: ShimPaths(stateDir: root + "/" + stateSubpath, socketDir: root + "/s").bootstrap),
           ProcessControl.isAlive(bootstrap.pid) {
            kill(bootstrap.pid, SIGKILL)
        }
        FileSystem.removeTree(root)
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `corral-shim ARGS --id ID --state-dir DIR --socket-dir DIR` to completion.
    func run(_ command: String, extra: [String] = []) throws -> Run {
        try Self.run([command, "--id", id, "--state-dir", stateDir, "--socket-dir", socketDir] + extra)
    }

    static func run(_ arguments: [String]) throws -> Run {
        let out = try FileDescriptor.pipe()
        let err = try FileDescriptor.pipe()
        let pid: Int32
        do {
            pid = try Spawn.run(binary, arguments: [binary] + arguments,
                                stdio: .init(stdin: nil, stdout: out.write, stderr: err.write))
        } catch {
            [out.read, out.write, err.read, err.write].forEach { $0.close() }
            throw error
        }
        out.write.close()
        err.write.close()
        defer {
            out.read.close()
            err.read.close()
        }
        let stdout = readAll(out.read)
        let stderr = readAll(err.read)
        let status = try ProcessControl.wait(for: pid)
        return Run(status: status.code,
                   stdout: String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    private static func readAll(_ fd: FileDescriptor) -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try? fd.read(upTo: 65536), !chunk.isEmpty { bytes += chunk }
        return bytes
    }

    /// Starts the shim and connects to it.
    func start() throws -> (address: String, pid: Int32, client: Client) {
        let result = try run("start")
        guard result.status == 0 else { throw HarnessError("start failed (\(result.status)): \(result.stderr)") }
        guard let printed = Bootstrap(startOutput: result.stdout) else { throw HarnessError("start printed \(result.stdout)") }
        guard let bootstrap = Bootstrap.read(from: paths.bootstrap) else { throw HarnessError("no bootstrap.json") }
        guard printed == bootstrap else { throw HarnessError("start printed \(printed), bootstrap.json says \(bootstrap)") }
        return (printed.address, printed.pid, try Client.connect(printed.address))
    }

    /// Waits until `pid` is gone (it is not our child, so there is no status to collect).
    static func waitForExit(_ pid: Int32, seconds: Double = 5) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if !ProcessControl.isAlive(pid) || isZombie(pid) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? FileSystem.readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    static func openFDs(_ pid: Int32) -> Int {
        (try? FileSystem.listDirectory("/proc/\(pid)/fd"))?.count ?? -1
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await BlockingWork.run(body)
}
