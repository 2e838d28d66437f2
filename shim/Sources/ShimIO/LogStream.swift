/// The container output stream a CRI record came from. A tty has a single stream, logged as stdout.
public enum LogStream: Sendable, Hashable, CustomStringConvertible {
    case stdout
    case stderr

    public var description: String {
        switch self {
        case .stdout: "stdout"
        case .stderr: "stderr"
        }
    }
}

/// A CRI record either ends its line (`F`) or is a piece of a longer one that continues (`P`).
enum RecordTag {
    case partial
    case full

    var byte: UInt8 {
        switch self {
        case .partial: UInt8(ascii: "P")
        case .full: UInt8(ascii: "F")
        }
    }
}
