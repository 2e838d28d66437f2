import CorralSystem
import Logging
import Synchronization

/// corrald's log lines on stderr. Under systemd (JOURNAL_STREAM set) each line starts with its
/// syslog priority, `<3>` … `<7>`, which journald turns into the entry's priority; otherwise
/// with a timestamp. The level lives in one shared box so that SIGHUP can change it for every
/// logger at once.
struct DaemonLogHandler: LogHandler {
    static let level = Mutex<Logger.Level>(.info)
    static let journal = Environment.value("JOURNAL_STREAM") != nil
    private static let output = Mutex(FileDescriptor(rawValue: 2))

    let label: String
    var metadata: Logger.Metadata = [:]

    var logLevel: Logger.Level {
        get { Self.level.withLock { $0 } }
        set { Self.level.withLock { $0 = newValue } }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let rendered = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let prefix = Self.journal ? "<\(Self.priority(event.level))>" : RFC3339.now + " "
        let line = "\(prefix)\(event.level) \(label): \(event.message)" + (rendered.isEmpty ? "" : " " + rendered) + "\n"
        Self.output.withLock { try? $0.writeAll(line) }
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
