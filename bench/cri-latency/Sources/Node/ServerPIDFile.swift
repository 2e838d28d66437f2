import Foundation

/// The daemon's pid as its start script records it: the run's start of corrald, and the lab's
/// start-containerd.sh, each write one, again on every restart.
enum ServerPIDFile {
    static func read(_ path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
