import ArgumentParser
import CorralSystem
import ShimAPI
import ShimContract
import SwiftProtobuf
import TTRPC
import TTRPCWire

/// `corralctl shim`: talk to one pod's shim through its socket.
struct ShimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shim",
        abstract: "Ask a live shim about itself, its tasks, events and logs.",
        subcommands: [Version.self, Ping.self, Info.self, Tasks.self, Events.self, Logs.self])

    // Repeated here so they may stand before the subcommand name, as DESIGN's command lines do.
    @OptionGroup var global: GlobalOptions
    @OptionGroup var target: Target

    struct Target: ParsableArguments {
        @Option(help: "The shim's socket path (or unix:// address).")
        var socket: String?

        @Option(help: "The pod id; its shim is found through STATE/pods/ID/bootstrap.json.")
        var pod: String?

        @Option(help: "Output format: table or json.")
        var output: OutputFormat = .table

        @Option(help: "How long to wait for the shim, in seconds.")
        var timeout: Double = 5

        func validate() throws {
            if socket != nil && pod != nil {
                throw ValidationError("give one of --socket PATH or --pod ID, not both")
            }
        }

        func address(state: String) throws -> String {
            if let socket { return socket }
            guard let pod else { throw ValidationError("give one of --socket PATH or --pod ID") }
            let bootstrapPath = ShimPaths(stateDir: state + "/pods/" + pod, socketDir: state + "/s").bootstrap
            guard let bootstrap = Bootstrap.read(from: bootstrapPath) else {
                throw ShimUnreachable(address: "pod \(pod)", reason: "no shim recorded (\(bootstrapPath) is missing or unreadable)")
            }
            return bootstrap.address
        }

        var deadline: Duration { .milliseconds(Int64(timeout * 1000)) }
    }

    /// One resolved shim to talk to.
    struct Session {
        let address: String
        let target: Target

        init(_ global: GlobalOptions, _ target: Target) throws {
            self.address = try target.address(state: global.state)
            self.target = target
        }

        func connect() throws -> Client {
            do {
                return try Client.connect(address)
            } catch {
                throw ShimUnreachable(address: address, reason: error.message)
            }
        }

        func call<Req, Resp>(_ method: TTRPC.Method<Req, Resp>, _ request: Req) async throws -> Resp {
            let client = try connect()
            defer { client.close() }
            do {
                return try await client.call(method, request, timeout: target.deadline)
            } catch {
                throw ShimUnreachable(address: address, reason: "\(method.name): \(error)")
            }
        }

        func print(_ message: some SwiftProtobuf.Message, text: () -> String) throws {
            switch target.output {
            case .json:
                var options = JSONEncodingOptions()
                options.alwaysPrintInt64sAsNumbers = true
                Swift.print(try message.jsonString(options: options))
            case .table:
                Swift.print(text())
            }
        }
    }

    struct Version: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The shim's version and protocol.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        func run() async throws {
            let v = try await Session(global, target).call(DebugMethods.version, .init())
            try Session(global, target).print(v) {
                Table.render([("version", v.version), ("revision", v.revision),
                              ("protocol", "\(v.protocolVersion)"), ("runtime", v.runtime)])
            }
        }
    }

    struct Ping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check that the shim answers, and how fast.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        func run() async throws {
            let started = Clock.monotonicNanos
            let pong = try await Session(global, target).call(DebugMethods.ping, .init())
            let elapsed = Clock.monotonicNanos - started
            try Session(global, target).print(pong) { "ok (\(Format.duration(nanos: elapsed)))" }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The shim's pid, uptime, memory, descriptors and threads.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        func run() async throws {
            let i = try await Session(global, target).call(DebugMethods.info, .init())
            try Session(global, target).print(i) {
                Table.render([
                    ("pod", i.sandboxID), ("pid", "\(i.pid)"), ("address", i.address), ("state dir", i.stateDir),
                    ("uptime", Format.duration(nanos: i.uptimeNanos)),
                    ("rss", Format.bytes(i.vmRssBytes)), ("pss", Format.bytes(i.pssBytes)),
                    ("anonymous", Format.bytes(i.anonymousBytes)),
                    ("open fds", "\(i.openFds)"), ("threads", "\(i.threads)"),
                ])
            }
        }
    }

    struct Tasks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The shim's containers and execs.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        func run() async throws {
            let t = try await Session(global, target).call(DebugMethods.tasks, .init())
            try Session(global, target).print(t) {
                var rows = [["ID", "EXEC", "PID", "STATUS", "EXIT", "RUNTIME"]]
                for task in t.tasks {
                    rows.append([task.id, task.execID, "\(task.pid)", Format.status(task.status),
                                 task.status == .stopped ? "\(task.exitStatus)" : "", task.runtime])
                }
                return Table.columns(rows)
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow the shim's event stream.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        @Option(help: "Start after this sequence number (0: every retained event).")
        var after: UInt64 = 0
        func run() async throws {
            let session = try Session(global, target)
            let client = try session.connect()
            defer { client.close() }
            var request = Corral_Shim_V1_SubscribeRequest()
            request.afterSequence = after
            do {
                for try await envelope in client.stream(EventsMethods.subscribe, request) {
                    try session.print(envelope) {
                        "\(envelope.sequence)\t\(RFC3339.format(wallNanos: UInt64(envelope.timestamp.seconds) * 1_000_000_000 + UInt64(envelope.timestamp.nanos)))\t\(envelope.topic)"
                    }
                }
            } catch {
                throw ShimUnreachable(address: session.address, reason: "Subscribe: \(error)")
            }
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The shim's own recent log lines.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        @Option(help: "At most this many lines (0: all retained).")
        var tail: UInt32 = 0
        func run() async throws {
            var request = Corral_Shim_V1_LogsRequest()
            request.limit = tail
            let l = try await Session(global, target).call(DebugMethods.logs, request)
            try Session(global, target).print(l) { l.lines.joined(separator: "\n") }
        }
    }
}

/// One line, no stack: what an operator sees when a shim cannot be reached.
struct ShimUnreachable: Error, CustomStringConvertible {
    let address: String
    let reason: String
    var description: String { "shim at \(address): \(reason)" }
}
