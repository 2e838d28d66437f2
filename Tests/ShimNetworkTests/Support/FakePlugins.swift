import CorralJSON
import CorralSystem
import TestSupport

/// Stand-in plugins: a shell script that records each call (stdin and CNI_* environment)
/// and answers with whatever the test laid out for its type and command. They show what
/// the client sends, which the real plugins do not report.
struct FakePlugins {
    struct Call {
        var command: String
        var type: String
        var stdin: JSONValue
        var environment: [String: String]
    }

    private static let script = """
        #!/bin/sh
        root=$(dirname "$(dirname "$0")")
        type=$(basename "$0")
        call="$root/calls/$(ls "$root/calls" | wc -l | xargs printf '%03d')-$CNI_COMMAND-$type"
        cat > "$call.stdin"
        env | grep '^CNI_' > "$call.env"
        answer="$root/answers/$type.$CNI_COMMAND"
        [ -f "$answer.stdout" ] && cat "$answer.stdout"
        [ -f "$answer.stderr" ] && cat "$answer.stderr" >&2
        [ -f "$answer.exit" ] && exit "$(cat "$answer.exit")"
        if [ -f "$answer.hang" ]; then
            sleep 3600 &
            echo $! > "$answer.hang"
            wait
        fi
        exit 0

        """

    let directory: TemporaryDirectory
    var root: String { directory.path }
    var binDirectories: [String] { [root + "/bin1", root + "/bin2"] }

    init() throws {
        directory = try TemporaryDirectory("cni-fake")
        for sub in ["bin1", "bin2", "calls", "answers"] { try FileSystem.makeDirectories(root + "/" + sub, mode: 0o755) }
    }

    /// Installs a plugin of `type` in bin dir `index` (0 or 1).
    func install(_ type: String, inDirectory index: Int = 0) throws {
        try directory.write("bin\(index + 1)/\(type)", FakePlugins.script, mode: 0o755)
    }

    func answer(_ type: String, _ command: String, stdout: String = "", stderr: String = "", exit: Int = 0) throws {
        let base = "answers/\(type).\(command)"
        if !stdout.isEmpty { try directory.write(base + ".stdout", stdout) }
        if !stderr.isEmpty { try directory.write(base + ".stderr", stderr) }
        if exit != 0 { try directory.write(base + ".exit", "\(exit)") }
    }

    /// Makes `type`'s `command` start a child that sleeps for an hour, and wait for it.
    func hang(_ type: String, _ command: String) throws {
        try directory.write("answers/\(type).\(command).hang", "")
    }

    /// The pid of the child a hanging plugin started, once it has.
    func hangingChild(_ type: String, _ command: String) -> Int32? {
        (try? FileSystem.readText(root + "/answers/\(type).\(command).hang")).flatMap { Int32($0.filter(\.isNumber)) }
    }

    func calls() throws -> [Call] {
        let names = try FileSystem.listDirectory(root + "/calls").filter { $0.hasSuffix(".stdin") }.sorted()
        return try names.map { name in
            let base = String(name.dropLast(".stdin".count))
            let parts = base.split(separator: "-", maxSplits: 2).map(String.init)
            let stdin = try JSONValue(parsing: FileSystem.readFile(root + "/calls/" + name))
            var environment: [String: String] = [:]
            for line in try FileSystem.readText(root + "/calls/" + base + ".env").split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return Call(command: parts[1], type: parts[2], stdin: stdin, environment: environment)
        }
    }

    func clearCalls() throws {
        for name in try FileSystem.listDirectory(root + "/calls") { FileSystem.remove(root + "/calls/" + name) }
    }

    func remove() {
        directory.remove()
    }
}
