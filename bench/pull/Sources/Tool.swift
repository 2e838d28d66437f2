import Foundation

/// Runs the host's tools (gzip, zstd, skopeo), failing with their stderr.
enum Tool {
    /// Runs `path` with `arguments`, its stdout into the file `stdout` (or discarded); answers
    /// whether it exited 0 when `check` is false, and throws otherwise.
    @discardableResult
    static func run(_ path: String, _ arguments: [String], stdout: String? = nil, check: Bool = true) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var output: FileHandle?
        if let stdout {
            guard FileManager.default.createFile(atPath: stdout, contents: nil),
                  let handle = FileHandle(forWritingAtPath: stdout) else { throw BenchFailure("cannot write \(stdout)") }
            output = handle
            process.standardOutput = output
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try output?.close()
        guard process.terminationStatus == 0 else {
            if !check { return false }
            throw BenchFailure("\(path) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                               + String(decoding: stderr, as: UTF8.self))
        }
        return true
    }
}
