#if canImport(Glibc)
import Glibc
#endif
import CCorral

/// Starts programs with posix_spawn. Nothing here waits for them: exit statuses belong to
/// whichever single reaper the process runs, so no second waiter can steal them.
public enum Spawn {
    public struct Stdio: Sendable {
        public var stdin: FileDescriptor?
        public var stdout: FileDescriptor?
        public var stderr: FileDescriptor?
        public init(stdin: FileDescriptor? = nil, stdout: FileDescriptor? = nil, stderr: FileDescriptor? = nil) {
            self.stdin = stdin
            self.stdout = stdout
            self.stderr = stderr
        }
        /// Every stream to /dev/null.
        public static let detached = Stdio()
    }

    /// Runs `path` with `arguments` (argv[0] included) and returns its pid.
    ///
    /// A program that cannot run yet because something holds it open for writing (ETXTBSY: it is
    /// being replaced, or was just written and a process forked meanwhile still has the descriptor
    /// until it execs) is tried again for up to about a tenth of a second.
    public static func run(_ path: String, arguments: [String], environment: [String]? = nil,
                           stdio: Stdio = .detached, newSession: Bool = false) throws(SystemError) -> pid_t {
        let env = environment ?? Environment.current
        let path = resolve(path)
        var pid: pid_t = 0
        for attempt in 0..<20 {
            let rc = withCStrings(arguments) { argv in
                withCStrings(env) { envp in
                    ccorral_spawn(&pid, path, argv, envp,
                                  stdio.stdin?.rawValue ?? -1, stdio.stdout?.rawValue ?? -1,
                                  stdio.stderr?.rawValue ?? -1, newSession ? 1 : 0)
                }
            }
            if rc == 0 { return pid }
            guard errno == ETXTBSY, attempt < 19 else { break }
            usleep(5_000)
        }
        throw SystemError("posix_spawn", path)
    }
}

extension Spawn {
    static let defaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// A bare program name found on PATH (or the usual system dirs), as a shell would;
    /// paths with a slash are used as they are.
    public static func resolve(_ name: String) -> String {
        guard !name.contains("/") else { return name }
        let search = Environment.value("PATH").flatMap { $0.isEmpty ? nil : $0 } ?? defaultSearchPath
        for dir in search.split(separator: ":") {
            let candidate = dir + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return name
    }
}

/// Calls `body` with a NULL-terminated C array of the strings, valid only during the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// The process environment as `KEY=value` strings.
public enum Environment {
    public static var current: [String] {
        var result: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            result.append(String(cString: entry))
            cursor += 1
        }
        return result
    }

    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
