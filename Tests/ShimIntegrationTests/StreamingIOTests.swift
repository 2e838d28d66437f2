import CorralJSON
import CorralShim
import CorralSystem
import Foundation
import ShimAPI
import Testing
import TTRPC

#if canImport(Glibc)
import Glibc
#endif

/// Process I/O for streaming (kubectl exec, attach) through FIFOs the daemon makes: execs with
/// and without a terminal, and clients attached to a running container's stdio.
@Suite("streaming I/O through corral-shim", .serialized,
       .enabled(if: ShimHarness.binaryExists && getuid() == 0 && BusyboxImage.available
                    && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runc"), "needs root, runc, busybox and a built corral-shim"))
struct StreamingIOTests {
    /// Runs each line it reads, until end of file.
    static let lineShell = ["sh", "-c", #"while read -r line; do eval "$line"; done; echo end-of-input"#]

    static func processSpec(_ args: [String], terminal: Bool) -> Data {
        let quoted = args.map { JSONValue.quote($0) }.joined(separator: ",")
        return Data(#"{"args":[\#(quoted)],"cwd":"/","env":["PATH=/bin","TERM=xterm"],"user":{"uid":0,"gid":0},"terminal":\#(terminal)}"#.utf8)
    }

    static func exec(_ pod: PodFixture, _ container: String, _ execID: String, _ args: [String], terminal: Bool,
                     _ fifos: ClientFIFOs) async throws -> UInt32 {
        var exec = Corral_Shim_V1_ExecProcessRequest()
        exec.id = container
        exec.execID = execID
        exec.terminal = terminal
        exec.stdin = !fifos.stdinPath.isEmpty
        exec.spec = processSpec(args, terminal: terminal)
        exec.stdinPath = fifos.stdinPath
        exec.stdoutPath = fifos.stdoutPath
        exec.stderrPath = fifos.stderrPath
        _ = try await pod.client.call(TaskMethods.exec, exec)
        return try await pod.client.call(TaskMethods.start, .with { $0.id = container; $0.execID = execID }, timeout: .seconds(30)).pid
    }

    static func waitExec(_ pod: PodFixture, _ container: String, _ execID: String) async throws -> UInt32 {
        try await pod.client.call(TaskMethods.wait, .with { $0.id = container; $0.execID = execID }, timeout: .seconds(30)).exitStatus
    }

    static func attach(_ pod: PodFixture, _ container: String, _ fifos: ClientFIFOs, tty: Bool = false) async throws {
        var request = Corral_Shim_V1_AttachRequest()
        request.id = container
        request.stdinPath = fifos.stdinPath
        request.stdoutPath = fifos.stdoutPath
        request.stderrPath = fifos.stderrPath
        request.tty = tty
        _ = try await pod.client.call(TaskMethods.attach, request)
    }

    /// The CRI log of `name` once it contains `marker` (or after `timeout`).
    static func logText(_ pod: PodFixture, _ name: String, containing marker: String,
                        timeout: Duration = .seconds(5)) async -> String {
        let deadline = ContinuousClock.now + timeout
        var text = pod.logText(name)
        while !text.contains(marker) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            text = pod.logText(name)
        }
        return text
    }

    /// The shim's descriptors that name a FIFO of this pod's clients, once none do or after 5 s.
    static func fifosHeld(by pod: PodFixture) async -> [String] {
        let deadline = ContinuousClock.now + .seconds(5)
        var held: [String] = []
        repeat {
            held = ProcessHoldings.of(pod.shimPID).fds.filter { $0.contains(pod.root) && !$0.contains("/logs/") && !$0.contains("/state/") }
            if held.isEmpty { break }
            try? await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        return held
    }

    @Test func execWithATerminalResizesAndEndsAtCloseIO() async throws {
        try await withPod { pod in
            try await pod.run()
            try await pod.runContainer("box", ["sleep", "300"])
            let fifos = try ClientFIFOs(pod.root + "/tty1")
            // A shell reading lines in canonical mode: ^D is the line discipline's end of file.
            // (busybox's interactive line editor swallows a ^D now and then, pty or not.)
            let pid = try await Self.exec(pod, "box", "tty1", Self.lineShell, terminal: true, fifos)
            #expect(pid > 0)
            _ = try await pod.client.call(TaskMethods.resizePty, .with { $0.id = "box"; $0.execID = "tty1"; $0.width = 123; $0.height = 45 })
            // The terminal echoes what is typed: only the shell's expansion makes "marker-42".
            try fifos.send("stty size; echo marker-$((40+2))\n")
            let output = await fifos.read(.stdout, until: "marker-42")
            #expect(output.contains("marker-42"))
            #expect(output.contains("45 123"))
            #expect(output.contains("\r\n"))  // a terminal's line discipline, not a pipe

            _ = try await pod.client.call(TaskMethods.resizePty, .with { $0.id = "box"; $0.execID = "tty1"; $0.width = 80; $0.height = 24 })
            try fifos.send("stty size; echo second-$((1+1))\n")
            #expect(await fifos.read(.stdout, until: "second-2").contains("24 80"))

            // ^D: the shell reads end of file and exits; its last words still reach the client.
            _ = try await pod.client.call(TaskMethods.closeIO, .with { $0.id = "box"; $0.execID = "tty1"; $0.stdin = true })
            #expect(try await Self.waitExec(pod, "box", "tty1") == 0)
            #expect(await fifos.read(.stdout, until: "end-of-input\r\n").hasSuffix("end-of-input\r\n"))
            #expect(await fifos.readToEnd(.stdout))
            let state = try await pod.client.call(TaskMethods.state, .with { $0.id = "box"; $0.execID = "tty1" })
            #expect(state.terminal && state.status == .stopped)
            _ = try await pod.client.call(TaskMethods.delete, .with { $0.id = "box"; $0.execID = "tty1" })
            fifos.closeAll()

            // A spec that disagrees with the request is refused before anything runs.
            var bad = Corral_Shim_V1_ExecProcessRequest()
            bad.id = "box"
            bad.execID = "bad"
            bad.terminal = true
            bad.spec = Self.processSpec(["sh"], terminal: false)
            await #expect(throws: (any Error).self) { _ = try await pod.client.call(TaskMethods.exec, bad) }
        }
    }

    @Test func execWithStdinEndsAtCloseIOOrWhenTheDaemonClosesStdin() async throws {
        try await withPod { pod in
            try await pod.run()
            try await pod.runContainer("box", ["sleep", "300"])

            let first = try ClientFIFOs(pod.root + "/cat1", stderr: true)
            _ = try await Self.exec(pod, "box", "cat1", ["cat"], terminal: false, first)
            try first.send("hello cat\n")
            #expect(await first.read(.stdout, until: "hello cat\n") == "hello cat\n")
            _ = try await pod.client.call(TaskMethods.closeIO, .with { $0.id = "box"; $0.execID = "cat1"; $0.stdin = true })
            #expect(try await Self.waitExec(pod, "box", "cat1") == 0)
            #expect(await first.readToEnd(.stdout))
            #expect(await first.readToEnd(.stderr))
            first.closeAll()

            // The daemon closing its end of the stdin FIFO is end of file too, after all it sent.
            let second = try ClientFIFOs(pod.root + "/cat2")
            _ = try await Self.exec(pod, "box", "cat2", ["sh", "-c", "cat; echo after-eof"], terminal: false, second)
            let big = String(repeating: "z", count: 200_000)  // more than a pipe holds: copied as it is read
            try second.send("bye\n" + big + "\n")
            second.closeStdin()
            let output = await second.read(.stdout, until: "after-eof")
            #expect(output == "bye\n" + big + "\nafter-eof\n")
            #expect(try await Self.waitExec(pod, "box", "cat2") == 0)
            #expect(await second.readToEnd(.stdout))
            second.closeAll()
        }
    }

    @Test func attachToATerminalContainerWithStdin() async throws {
        try await withPod { pod in
            try await pod.run()
            var options = PodFixture.ContainerOptions()
            options.terminal = true
            options.stdin = true
            try await pod.runContainer("shell", ["sh"], options)
            let before = ProcessHoldings.of(pod.shimPID)

            let typing = try ClientFIFOs(pod.root + "/a1", stderr: true)
            try await Self.attach(pod, "shell", typing, tty: true)
            let watching = try ClientFIFOs(pod.root + "/a2", stdin: false)
            try await Self.attach(pod, "shell", watching, tty: true)
            try typing.send("echo attached-$((6*7))\n")
            #expect(await typing.read(.stdout, until: "attached-42").contains("attached-42"))
            #expect(await watching.read(.stdout, until: "attached-42").contains("attached-42"))
            // A terminal's one stream is stdout: the stderr FIFO was never opened.
            #expect(await typing.read(.stderr, timeout: .milliseconds(200)).isEmpty)
            // The log got it all the same.
            #expect(await Self.logText(pod, "shell", containing: "attached-42").contains("attached-42"))

            typing.closeAll()
            watching.closeAll()
            let after = await ProcessHoldings.settle(pod.shimPID, to: before)
            #expect(after == before, "before: \(before)\nafter: \(after)")
            // Without stdin_once the container's stdin stays open for the next client.
            let again = try ClientFIFOs(pod.root + "/a3")
            try await Self.attach(pod, "shell", again, tty: true)
            try again.send("echo again-$((2*3))\n")
            #expect(await again.read(.stdout, until: "again-6").contains("again-6"))
            try again.send("exit 5\n")
            #expect(try await pod.wait("shell").exitStatus == 5)
            #expect(await again.readToEnd(.stdout))
            again.closeAll()
            // The container is gone, and with it every descriptor of its clients.
            #expect(await Self.fifosHeld(by: pod).isEmpty)
            await #expect(throws: (any Error).self) { try await Self.attach(pod, "shell", try ClientFIFOs(pod.root + "/a4"), tty: true) }
        }
    }

    @Test func stdinOnceClosesStdinWhenTheFirstClientDetaches() async throws {
        try await withPod { pod in
            try await pod.run()
            // Without a terminal: end of file on the client's stdin closes the container's; the
            // output stays attached until the container ends.
            var options = PodFixture.ContainerOptions()
            options.stdin = true
            options.stdinOnce = true
            try await pod.runContainer("once", ["sh", "-c", "cat; echo stdin-closed; echo bye >&2"], options)
            let client = try ClientFIFOs(pod.root + "/o1", stderr: true)
            try await Self.attach(pod, "once", client)
            try client.send("line1\n")
            #expect(await client.read(.stdout, until: "line1") == "line1\n")
            client.closeStdin()
            #expect(await client.read(.stdout, until: "stdin-closed") == "line1\nstdin-closed\n")
            #expect(await client.read(.stderr, until: "bye") == "bye\n")
            #expect(try await pod.wait("once").exitStatus == 0)
            // The container ended: the shim closed the output FIFOs.
            #expect(await client.readToEnd(.stdout))
            #expect(await client.readToEnd(.stderr))
            client.closeAll()
            // stdout and stderr are separate pipes: their order in the log is not fixed.
            #expect(pod.logText("once").split(separator: "\n").sorted() == ["bye", "line1", "stdin-closed"])

            // With a terminal: the first client detaching sends end of file (^D) to the shell.
            options.terminal = true
            try await pod.runContainer("ttyonce", Self.lineShell, options)
            let first = try ClientFIFOs(pod.root + "/o2")
            try await Self.attach(pod, "ttyonce", first, tty: true)
            try first.send("echo first-$((3+4))\n")
            #expect(await first.read(.stdout, until: "first-7").contains("first-7"))
            first.closeAll()
            #expect(try await pod.wait("ttyonce").exitStatus == 0)
        }
    }

    @Test func detachingLeavesNoDescriptorOrProcessInTheShim() async throws {
        try await withPod { pod in
            try await pod.run()
            var options = PodFixture.ContainerOptions()
            options.stdin = true
            try await pod.runContainer("echoer", ["sh", "-c", "while read l; do echo got-$l; echo err-$l >&2; done; echo done"], options)
            let before = ProcessHoldings.of(pod.shimPID)

            // Detach by closing every end at once.
            let a = try ClientFIFOs(pod.root + "/d1", stderr: true)
            try await Self.attach(pod, "echoer", a)
            try a.send("a\n")
            #expect(await a.read(.stdout, until: "got-a") == "got-a\n")
            #expect(await a.read(.stderr, until: "err-a") == "err-a\n")
            #expect(ProcessHoldings.of(pod.shimPID) != before)
            a.closeAll()
            let after = await ProcessHoldings.settle(pod.shimPID, to: before)
            #expect(after == before, "before: \(before)\nafter: \(after)")

            // Two clients at once: one only reads, one only writes. The reader leaves by closing
            // its FIFO (the shim sees POLLERR with no output flowing), the writer by end of file.
            let reader = try ClientFIFOs(pod.root + "/d2", stdin: false, stderr: true)
            let writer = try ClientFIFOs(pod.root + "/d3", stdout: false)
            try await Self.attach(pod, "echoer", reader)
            try await Self.attach(pod, "echoer", writer)
            try writer.send("b\n")
            #expect(await reader.read(.stdout, until: "got-b") == "got-b\n")
            reader.closeOutputs()
            writer.closeStdin()
            #expect(await ProcessHoldings.settle(pod.shimPID, to: before) == before)
            reader.closeAll()
            writer.closeAll()

            // The container's stdin is still open (no stdin_once): a new client can still type.
            let c = try ClientFIFOs(pod.root + "/d4")
            try await Self.attach(pod, "echoer", c)
            try c.send("c\n")
            #expect(await c.read(.stdout, until: "got-c") == "got-c\n")
            _ = try await pod.client.call(TaskMethods.closeIO, .with { $0.id = "echoer"; $0.stdin = true })
            #expect(await c.read(.stdout, until: "done") == "got-c\ndone\n")
            #expect(try await pod.wait("echoer").exitStatus == 0)
            #expect(await c.readToEnd(.stdout))
            c.closeAll()
            #expect(await Self.fifosHeld(by: pod).isEmpty)
            let log = pod.logText("echoer")
            for line in ["got-a", "err-a", "got-b", "err-b", "got-c", "done"] { #expect(log.contains(line)) }
        }
    }

    @Test func attachArgumentsAreChecked() async throws {
        try await withPod { pod in
            try await pod.run()
            try await pod.runContainer("plain", ["sleep", "300"])
            await #expect(throws: (any Error).self) { try await Self.attach(pod, "plain", try ClientFIFOs(pod.root + "/x1"), tty: true) }
            await #expect(throws: (any Error).self) { try await Self.attach(pod, "nosuch", try ClientFIFOs(pod.root + "/x2")) }
            var missing = Corral_Shim_V1_AttachRequest()
            missing.id = "plain"
            missing.stdoutPath = pod.root + "/no/such/fifo"
            await #expect(throws: (any Error).self) { _ = try await pod.client.call(TaskMethods.attach, missing) }
            // A container without stdin takes the client's stdin and drops it.
            let client = try ClientFIFOs(pod.root + "/x3")
            try await Self.attach(pod, "plain", client)
            try client.send(String(repeating: "q", count: 100_000))
            client.closeAll()
        }
    }
}
