// Interop: our ttrpc client against a ttrpc server nobody here wrote, Debian's
// containerd-shim-runc-v2 (package `containerd`, 1.6.x), started standalone the way containerd
// starts it:
//
//   cwd = bundle dir holding config.json (an OCI spec; the shim reads it only for annotations)
//         and a FIFO named `log` (the daemonized shim opens it for writing and blocks until
//         someone reads, so the test drains it);
//   stdin = /dev/null (`start` reads shim options from stdin until EOF);
//   containerd-shim-runc-v2 -namespace NS -id ID -address ADDR start
//
// `start` binds unix:///run/containerd/s/<sha256(ADDR, NS, ID)>, prints that address (no trailing
// newline), writes it to `address` in the bundle, forks the long-lived shim (same binary, no
// `start`) and exits. ADDR (containerd's socket) only feeds that hash; nothing dials it unless
// the shim publishes an event, which Connect and Shutdown do not.
//
// Wire facts (containerd api/runtime/task/v2/shim.proto, service containerd.task.v2.Task):
//   ConnectRequest{id = 1}            ConnectResponse{shim_pid = 1, task_pid = 2, version = 3}
//   ShutdownRequest{id = 1, now = 2}  google.protobuf.Empty
// Shutdown makes the shim exit; the connection may drop before or after the answer.

import CorralSystem
import Foundation
import Synchronization
import TTRPC
import Testing

private let shimBinary = "/usr/bin/containerd-shim-runc-v2"
private let socketDirs = ["/run/containerd", "/run/containerd/s"]

@Suite("containerd-shim-runc-v2 interop")
struct ContainerdShimInteropTests {
    @Test("our client calls Connect and Shutdown on containerd-shim-runc-v2",
          .enabled(if: FileManager.default.isExecutableFile(atPath: shimBinary),
                   "\(shimBinary) is not installed (Debian package `containerd`)"),
          .enabled(if: getuid() == 0,
                   "containerd-shim-runc-v2 needs root: it binds under /run/containerd/s and becomes a subreaper"),
          .timeLimit(.minutes(1)))
    func connectAndShutdown() async throws {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let namespace = "corral-interop-\(suffix)"
        let taskID = "interop-\(suffix)"

        let bundle = FileManager.default.temporaryDirectory
            .appendingPathComponent("corral-shim-interop-\(suffix)", isDirectory: true).path
        let missingSocketDirs = socketDirs.filter { !FileManager.default.fileExists(atPath: $0) }
        var socketPath: String?
        var shimPID: pid_t?
        var drain: FifoDrain?
        defer {
            cleanUp(taskID: taskID, shimPID: shimPID, socketPath: socketPath, drain: drain,
                    bundle: bundle, createdDirs: missingSocketDirs)
        }

        // The bundle.
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let spec = #"{"ociVersion":"1.0.2","process":{"args":["/bin/true"],"cwd":"/"},"# +
            #""root":{"path":"rootfs"},"annotations":{}}"#
        try Data(spec.utf8).write(to: URL(fileURLWithPath: bundle + "/config.json"))
        try #require(mkfifo(bundle + "/log", 0o600) == 0, "mkfifo log: errno \(errno)")
        drain = FifoDrain(path: bundle + "/log")

        // `start`: prints the address and leaves the daemonized shim behind.
        let start = try runStart(bundle: bundle, namespace: namespace, taskID: taskID)
        // nil: another test's reaper took the status; the printed address below still tells.
        try #require(start.status == nil || start.status == .exited(0),
                     "shim start ended with \(start.status.map { "\($0)" } ?? "?"): \(start.stderr)")
        let address = start.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(address.hasPrefix("unix:///run/containerd/s/"), "unexpected address \(address.debugDescription)")
        socketPath = String(address.dropFirst("unix://".count))

        // The one process on the host carrying our unique -id.
        let found = shimProcesses(taskID: taskID)
        try #require(found.count == 1, "expected one shim with -id \(taskID), found \(found)")
        shimPID = found[0]

        let client = try Client.connect(address)
        defer { client.close() }

        // Connect.
        let connectBytes = try await client.call(service: "containerd.task.v2.Task", method: "Connect",
                                                 payload: ProtoWriter().string(1, taskID).bytes,
                                                 timeout: .seconds(5))
        let connect = try ProtoFields(connectBytes)
        let reportedPID = connect.varint(1) ?? 0
        #expect(reportedPID > 0, "ConnectResponse without shim_pid: \(connectBytes)")
        #expect(reportedPID == UInt64(found[0]), "shim_pid \(reportedPID), but the shim with our -id is \(found[0])")
        #expect(connect.varint(2) ?? 0 == 0, "task_pid set though no task was created")
        let comm = (try? String(contentsOfFile: "/proc/\(reportedPID)/comm", encoding: .utf8)) ?? ""
        #expect(comm.hasPrefix("containerd-shim"), "/proc/\(reportedPID)/comm is \(comm.debugDescription)")
        let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(reportedPID)/cwd")
        #expect(cwd == bundle, "shim cwd \(cwd ?? "?") is not the bundle \(bundle)")

        // Shutdown: the shim may answer, or hang up first.
        do {
            let empty = try await client.call(service: "containerd.task.v2.Task", method: "Shutdown",
                                              payload: ProtoWriter().string(1, taskID).bool(2, true).bytes,
                                              timeout: .seconds(5))
            #expect(empty.isEmpty, "Shutdown answered \(empty), expected google.protobuf.Empty")
        } catch {
            #expect(error.code == .unavailable, "Shutdown failed: \(error)")
        }

        // And it is gone.
        let deadline = ContinuousClock.now + .seconds(5)
        while !processGone(found[0]), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(processGone(found[0]), "shim \(found[0]) still alive 5 s after Shutdown; its log: \(drain?.text ?? "")")
        // Its only writer gone, the log FIFO reaches EOF.
        #expect(drain?.waitForEOF(within: .seconds(2)) == true, "shim log FIFO still open after the shim exited")
    }
}

// MARK: running the shim

private struct StartOutput {
    /// nil when something else in this process reaped `start` before we could.
    var status: CorralSystem.ExitStatus?
    var stdout: String
    var stderr: String
}

/// Runs `start` in the bundle and waits for it (killing it after 15 s).
///
/// Not with Foundation's Process: on Linux it learns of a child's exit from a socket whose
/// other end the child inherits, and `start` (Go's fork/exec) leaks that end into the daemonized
/// shim, so waitUntilExit() would wait for the shim rather than for `start`. Hence posix_spawn,
/// with every descriptor but stdio closed in the child, and output in files rather than pipes.
private func runStart(bundle: String, namespace: String, taskID: String) throws -> StartOutput {
    let outPath = bundle + "/start.stdout", errPath = bundle + "/start.stderr"
    let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    defer {
        if out >= 0 { close(out) }
        if err >= 0 { close(err) }
    }
    try #require(out >= 0 && err >= 0, "cannot create start.stdout/start.stderr: errno \(errno)")

    let pid = try spawn(shimBinary, ["-namespace", namespace, "-id", taskID, "-address", "/nonexistent.sock", "start"],
                        directory: bundle, stdout: out, stderr: err)
    var waitStatus: Int32 = 0
    var reaped: pid_t = 0
    let deadline = ContinuousClock.now + .seconds(15)
    while true {
        reaped = waitpid(pid, &waitStatus, WNOHANG)
        if reaped != 0 && !(reaped < 0 && errno == EINTR) { break }
        if ContinuousClock.now >= deadline {
            kill(pid, SIGKILL)
            repeat { reaped = waitpid(pid, &waitStatus, 0) } while reaped < 0 && errno == EINTR
            break
        }
        usleep(10_000)
    }

    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return StartOutput(status: reaped == pid ? CorralSystem.ExitStatus(waitStatus: waitStatus) : nil,
                       stdout: read(outPath), stderr: read(errPath))
}

/// posix_spawn with stdin from /dev/null, stdout and stderr onto the given descriptors, nothing
/// else open, signals unblocked and at their defaults, and `directory` as the working directory.
private func spawn(_ path: String, _ arguments: [String], directory: String,
                   stdout: Int32, stderr: Int32) throws -> pid_t {
    // glibc >= 2.34 has both; Swift's Glibc module does not declare them (they need _GNU_SOURCE).
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    let chdirSymbol = try #require(dlsym(nil, "posix_spawn_file_actions_addchdir_np"), "libc lacks posix_spawn_file_actions_addchdir_np")
    let closeFromSymbol = try #require(dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"), "libc lacks posix_spawn_file_actions_addclosefrom_np")
    let addChdir = unsafeBitCast(chdirSymbol, to: AddChdir.self)
    let addCloseFrom = unsafeBitCast(closeFromSymbol, to: AddCloseFrom.self)

    var actions = posix_spawn_file_actions_t()
    var attributes = posix_spawnattr_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawnattr_init(&attributes)
    defer {
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
    }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)
    _ = addCloseFrom(&actions, 3)
    _ = addChdir(&actions, directory)
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    try #require(rc == 0, "posix_spawn \(path): errno \(rc)")
    return pid
}

/// Pids of live containerd-shim processes whose command line has `-id taskID`.
private func shimProcesses(taskID: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
        guard let pid = pid_t(entry),
              let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let args = raw.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard let program = args.first, program.hasSuffix("containerd-shim-runc-v2"),
              let flag = args.firstIndex(of: "-id"), flag + 1 < args.count, args[flag + 1] == taskID,
              !processGone(pid) else { return nil }
        return pid
    }
}

/// True once `pid` has exited. The shim was reparented away from us, so its zombie may linger
/// until whoever adopted it reaps it; a zombie counts as gone. If we happen to be its reaper
/// (a subreaper test process), reap it.
private func processGone(_ pid: pid_t) -> Bool {
    var status: Int32 = 0
    _ = waitpid(pid, &status, WNOHANG)
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // "pid (comm) S ...": the state follows the last ')'.
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}

private func cleanUp(taskID: String, shimPID: pid_t?, socketPath: String?, drain: FifoDrain?,
                     bundle: String, createdDirs: [String]) {
    // Any shim of ours still alive (including one we never learned the pid of) is killed.
    let survivors = Set(shimProcesses(taskID: taskID) + (shimPID.map { [$0] } ?? []))
    for pid in survivors where !processGone(pid) {
        kill(pid, SIGKILL)
    }
    let deadline = ContinuousClock.now + .seconds(3)
    while survivors.contains(where: { !processGone($0) }), ContinuousClock.now < deadline {
        Thread.sleep(forTimeInterval: 0.02)
    }
    if let socketPath {
        unlink(socketPath)
    }
    drain?.stop()
    try? FileManager.default.removeItem(atPath: bundle)
    // Only the directories this run made, deepest first; rmdir leaves them if anything is inside.
    for dir in createdDirs.reversed() {
        rmdir(dir)
    }
}

// MARK: the log FIFO

/// Reads a FIFO on its own thread until EOF, so a writer never blocks on it.
private final class FifoDrain: Sendable {
    private let path: String
    private let output = Mutex<[UInt8]>([])
    private let finished = Atomic<Bool>(false)

    init(path: String) {
        self.path = path
        Thread { [self] in
            defer { finished.store(true, ordering: .releasing) }
            // Blocks until a writer opens the FIFO (or stop() pretends to be one).
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    output.withLock { $0 += buffer[..<n] }
                } else if n == 0 || errno != EINTR {
                    return
                }
            }
        }.start()
    }

    var text: String { String(decoding: output.withLock { $0 }, as: UTF8.self) }

    func waitForEOF(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !finished.load(ordering: .acquiring), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        return finished.load(ordering: .acquiring)
    }

    /// Ends the reader even if no writer ever came: opening the write side (non-blocking, which
    /// succeeds only while a reader waits or reads) and closing it again releases a reader
    /// blocked in open() and, with no other writer left, gives it EOF.
    func stop() {
        if !finished.load(ordering: .acquiring) {
            let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 { close(fd) }
        }
        _ = waitForEOF(within: .seconds(2))
    }
}

// MARK: hand-rolled protobuf

/// Writes the few protobuf fields the requests need.
private struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    func string(_ field: Int, _ value: String) -> ProtoWriter {
        var copy = self
        copy.varint(UInt64(field << 3 | 2))
        copy.varint(UInt64(value.utf8.count))
        copy.bytes += value.utf8
        return copy
    }

    func bool(_ field: Int, _ value: Bool) -> ProtoWriter {
        var copy = self
        copy.varint(UInt64(field << 3 | 0))
        copy.varint(value ? 1 : 0)
        return copy
    }

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
}

/// Walks a protobuf message: the last varint and length-delimited value of each field.
private struct ProtoFields {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    private var varints: [Int: UInt64] = [:]
    private var lengthDelimited: [Int: [UInt8]] = [:]

    init(_ bytes: [UInt8]) throws {
        var i = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw Malformed(description: "truncated varint at \(i)") }
                let byte = bytes[i]
                i += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        func skip(_ n: Int) throws {
            guard n >= 0, n <= bytes.count - i else { throw Malformed(description: "field overruns the message at \(i)") }
            i += n
        }
        while i < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: varints[field] = try varint()
            case 1: try skip(8)
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.count - i) else { throw Malformed(description: "length \(length) overruns the message") }
                let start = i
                try skip(Int(length))
                lengthDelimited[field] = Array(bytes[start..<i])
            case 5: try skip(4)
            default: throw Malformed(description: "wire type \(key & 7) in field \(field)")
            }
        }
    }

    func varint(_ field: Int) -> UInt64? { varints[field] }
    func bytes(_ field: Int) -> [UInt8]? { lengthDelimited[field] }
}
