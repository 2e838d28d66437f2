import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// An elapsed-time spinner on stderr while one long call runs, and only when stderr is a terminal
/// (nothing in a pipe or a log).
enum Spinner {
    static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    static func whileRunning<T: Sendable>(_ label: String, _ body: () async throws -> T) async throws -> T {
        guard isatty(2) == 1 else { return try await body() }
        let ticker = Task {
            let started = ContinuousClock.now
            var frame = 0
            while !Task.isCancelled {
                let elapsed = ContinuousClock.now - started
                write("\r\(frames[frame % frames.count]) \(label) \(seconds(elapsed))\u{1B}[K")
                frame += 1
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer {
            ticker.cancel()
            write("\r\u{1B}[K")
        }
        let result = try await body()
        ticker.cancel()
        _ = await ticker.value
        return result
    }

    /// "12.3s"
    static func seconds(_ duration: Duration) -> String {
        let tenths = duration.components.seconds * 10 + duration.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)s"
    }

    private static func write(_ text: String) {
        try? FileDescriptor(rawValue: 2).writeAll(text)
    }
}
