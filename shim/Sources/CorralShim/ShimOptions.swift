import CorralSystem

/// The shim's command line: `corral-shim start|delete|serve --id ID --state-dir DIR [--socket-dir DIR]`.
/// Parsed by hand: the shim stays clear of anything that would grow its footprint.
public struct ShimOptions: Sendable, Equatable {
    public enum Command: String, Sendable {
        case start, delete, serve
    }

    public var command: Command
    public var id: String
    public var stateDir: String
    public var socketDir: String = ShimOptions.defaultSocketDir
    public var debug = false
    /// Every exec through the OCI runtime (`runc exec`) rather than started by the shim.
    public var execViaRuntime = false

    public static let defaultSocketDir = "/run/corral/s"

    public static let usage = """
        usage: corral-shim start  --id POD --state-dir DIR [--socket-dir DIR] [--debug] [--exec-via-runtime]
               corral-shim delete --id POD --state-dir DIR [--socket-dir DIR]
               corral-shim version
        """

    public enum ParseError: Error, CustomStringConvertible, Equatable {
        case usage(String)
        public var description: String {
            switch self { case .usage(let why): "\(why)\n\(ShimOptions.usage)" }
        }
    }

    public init(arguments: [String]) throws(ParseError) {
        guard let first = arguments.first else { throw .usage("missing command") }
        guard let command = Command(rawValue: first) else { throw .usage("unknown command \(first)") }
        self.command = command
        var id: String?
        var stateDir: String?
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            switch flag {
            case "--debug":
                debug = true
                continue
            case "--exec-via-runtime":
                execViaRuntime = true
                continue
            case "--id", "--state-dir", "--socket-dir":
                guard let value = rest.popFirst(), !value.isEmpty else { throw .usage("\(flag) needs a value") }
                switch flag {
                case "--id": id = value
                case "--state-dir": stateDir = value
                default: socketDir = FileSystem.absolute(value)
                }
            default:
                throw .usage("unknown option \(flag)")
            }
        }
        guard let id else { throw .usage("--id is required") }
        guard let stateDir else { throw .usage("--state-dir is required") }
        guard id.utf8.count <= 128, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw .usage("--id must be at most 128 letters, digits, '-', '_' or '.'")
        }
        self.id = id
        self.stateDir = FileSystem.absolute(stateDir)
    }

    /// The arguments that start the long-lived process with these options.
    var serveArguments: [String] {
        ["serve", "--id", id, "--state-dir", stateDir, "--socket-dir", socketDir] + (debug ? ["--debug"] : [])
            + (execViaRuntime ? ["--exec-via-runtime"] : [])
    }
}
