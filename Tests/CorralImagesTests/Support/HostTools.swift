import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// The host tools tests compress, inspect and mount with.
enum Tool {
    @discardableResult
    static func run(_ path: String, _ arguments: [String], stdin: [UInt8] = []) async throws -> CommandResult {
        let result = try await Command.run(path, arguments: arguments, stdin: stdin, outputLimit: 256 << 20)
        guard result.status == .exited(0) else {
            throw ToolFailure(description: "\(path) \(arguments.joined(separator: " ")): \(result.status) \(result.stderrText)")
        }
        return result
    }

    static func gzip(_ bytes: [UInt8]) async throws -> [UInt8] {
        try await run("/usr/bin/gzip", ["-c", "-n"], stdin: bytes).stdout
    }

    static func zstd(_ bytes: [UInt8]) async throws -> [UInt8] {
        try await run("/usr/bin/zstd", ["-c", "-q"], stdin: bytes).stdout
    }
}

struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}

/// lstat as a test asks it.
func fileInfo(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

func fileType(_ path: String) -> mode_t? {
    fileInfo(path).map { $0.st_mode & S_IFMT }
}

func readText(_ path: String) -> String? {
    (try? FileSystem.readText(path))
}
