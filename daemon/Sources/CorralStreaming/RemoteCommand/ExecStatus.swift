import CorralJSON
import CorralSystem

/// How an exec or attach ended, and how kubelet reports that on the error stream: protocol v4
/// and later send a JSON `metav1.Status` every time; older ones send only a failure's message.
enum ExecStatus: Sendable, Equatable {
    case success
    /// The command ran and exited non-zero; `command` is only quoted in the message.
    case nonZeroExit(code: Int32, command: [String])
    /// The runtime failed (kubelet wraps this as an internal error).
    case failure(String)

    /// The message of a failure, as kubelet words it; nil for success.
    var message: String? {
        switch self {
        case .success:
            nil
        case .nonZeroExit(let code, let command):
            // containerd's CodeExitError text, inside kubelet's sentence.
            "command terminated with non-zero exit code: error executing command \(Self.goList(command)), exit code \(code)"
        case .failure(let cause):
            "Internal error occurred: \(cause)"
        }
    }

    /// JSON with the field order and escaping of Go's encoding of metav1.Status.
    var statusJSON: String {
        switch self {
        case .success:
            return #"{"metadata":{},"status":"Success"}"#
        case .nonZeroExit(let code, _):
            return #"{"metadata":{},"status":"Failure","message":"# + JSONValue.quote(message!, escapingHTML: true)
                + #","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":""#
                + "\(code)" + #""}]}}"#
        case .failure(let cause):
            return #"{"metadata":{},"status":"Failure","message":"# + JSONValue.quote(message!, escapingHTML: true)
                + #","reason":"InternalError","details":{"causes":[{"message":"# + JSONValue.quote(cause, escapingHTML: true)
                + #"}]},"code":500}"#
        }
    }

    /// What goes on the error stream for `version`, or nil when nothing does.
    func errorStreamPayload(for version: RemoteCommandProtocol) -> [UInt8]? {
        if version.writesStatusJSON { return Array(statusJSON.utf8) }
        return message.map { Array($0.utf8) }
    }

    /// Go's %v of a []string: `[sh -c exit 3]`.
    private static func goList(_ items: [String]) -> String {
        "[" + items.joined(separator: " ") + "]"
    }
}
