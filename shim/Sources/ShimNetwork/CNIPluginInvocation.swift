import CorralJSON
import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// One run of one plugin binary, by the execution protocol of the CNI spec (section 2).
struct CNIPluginInvocation {
    var command: String
    var plugin: CNIPluginConfig
    var stdin: JSONValue
    var containerID: String
    var netns: String
    var interfaceName: String
    var cniArgs: String

    /// Runs the plugin and returns its stdout, or throws the plugin's own error.
    func run(binDirectories: [String], timeLimit: Duration?, waiter: ChildWaiter) async throws(CNIError) -> [UInt8] {
        let path: String
        do {
            path = try CNIPluginInvocation.find(plugin.type, in: binDirectories)
        } catch {
            var failure = error
            failure.command = command
            throw failure
        }
        let result: CommandResult
        do {
            result = try await Command.run(path, arguments: [], environment: environment(binDirectories: binDirectories),
                                           stdin: stdin.serializedBytes(), timeLimit: timeLimit, waiter: waiter)
        } catch {
            throw CNIError(.system, "\(error)", plugin: plugin.type, command: command)
        }
        if result.timedOut, let timeLimit {
            let said = result.stderrText.trimmingWhitespace
            throw CNIError(.timedOut, "did not finish within \(timeLimit) and was killed" + (said.isEmpty ? "" : "; it said: \(said)"),
                           plugin: plugin.type, command: command)
        }
        guard result.status == .exited(0) else { throw failure(result) }
        return result.stdout
    }

    /// The first executable named `type` in the bin dirs, as libcni's FindInPath looks.
    static func find(_ type: String, in binDirectories: [String]) throws(CNIError) -> String {
        guard !type.contains("/") else {
            throw CNIError(.configuration, "invalid plugin name \"\(type)\": a type cannot hold a path", plugin: type)
        }
        for directory in binDirectories {
            let path = directory + "/" + type
            var info = stat()
            if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(path, X_OK) == 0 { return path }
        }
        throw CNIError(.pluginNotFound, "failed to find plugin \"\(type)\" in path [\(binDirectories.joined(separator: " "))]",
                       plugin: type)
    }

    /// The shim's environment with the CNI variables replaced, since plugins shell out (iptables)
    /// and need PATH; a daemon started with an empty environment still gets a usable one.
    private func environment(binDirectories: [String]) -> [String] {
        var variables = Environment.current.filter { !$0.hasPrefix("CNI_") }
        if !variables.contains(where: { $0.hasPrefix("PATH=") }) {
            variables.append("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        }
        variables += [
            "CNI_COMMAND=\(command)",
            "CNI_CONTAINERID=\(containerID)",
            "CNI_NETNS=\(netns)",
            "CNI_IFNAME=\(interfaceName)",
            "CNI_ARGS=\(cniArgs)",
            "CNI_PATH=\(binDirectories.joined(separator: ":"))",
        ]
        return variables
    }

    /// The plugin's error object from stdout; failing that, what it said on stderr, as
    /// libcni's pluginErr words it.
    private func failure(_ result: CommandResult) -> CNIError {
        let stdout = result.stdoutText.trimmingWhitespace
        if !stdout.isEmpty {
            if let error = try? JSONValue(parsing: stdout), let message = error["msg"]?.string {
                return CNIError(.pluginFailed, message, details: error["details"]?.string ?? "", code: error["code"]?.int,
                                plugin: plugin.type, command: command)
            }
            return CNIError(.pluginFailed, "netplugin failed (\(result.status)) with unreadable output: \(stdout)",
                            plugin: plugin.type, command: command)
        }
        let stderr = result.stderrText.trimmingWhitespace
        return CNIError(.pluginFailed, stderr.isEmpty
                            ? "netplugin failed with no error message: \(result.status)"
                            : "netplugin failed (\(result.status)): \(stderr)",
                        plugin: plugin.type, command: command)
    }
}

extension String {
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
