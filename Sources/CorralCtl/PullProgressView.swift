import AdminAPI
import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// A pull's layers as they arrive, on stderr. On a terminal, one line per layer redrawn in
/// place (digest, state, bytes so far of the size); elsewhere (a pipe, a log) one line per
/// layer once it is in, so that a log reads as a record rather than a film.
struct PullProgressView {
    let interactive: Bool
    private var drawn = 0
    private var reported: Set<String> = []

    init(interactive: Bool = isatty(2) == 1) {
        self.interactive = interactive
    }

    mutating func show(_ layers: [Corral_Admin_V1_LayerProgress]) {
        if interactive {
            var text = drawn > 0 ? "\u{1B}[\(drawn)A" : ""
            for layer in layers { text += "\r" + Self.line(layer) + "\u{1B}[K\n" }
            drawn = layers.count
            write(text)
            return
        }
        for layer in layers where (layer.state == .done || layer.state == .exists) && !reported.contains(layer.digest) {
            reported.insert(layer.digest)
            write(Self.line(layer) + "\n")
        }
    }

    /// "sha256:0123456789ab  downloading  12.3MB / 50MB"
    static func line(_ layer: Corral_Admin_V1_LayerProgress) -> String {
        let digest = String(layer.digest.prefix("sha256:".count + 12))
        let state = switch layer.state {
        case .waiting: "waiting"
        case .downloading: "downloading  \(Human.size(layer.received)) / \(Human.size(layer.size))"
        case .done: "done         \(Human.size(layer.size))"
        case .exists: "already in the store"
        case .UNRECOGNIZED: "?"
        }
        return digest + "  " + state
    }

    private func write(_ text: String) {
        try? FileDescriptor(rawValue: 2).writeAll(text)
    }
}
