import CorralConfig
import CorralSystem
import CorralSystemd
import Logging
import Synchronization

/// corrald's log entries. On stderr by default: under systemd (JOURNAL_STREAM set) each line
/// starts with its syslog priority, `<3>` … `<7>`, which journald turns into the entry's
/// priority; otherwise with a timestamp. With `log_target = "journal"` each entry goes to
/// journald itself, its metadata as fields. Levels and target live in one shared box, so that
/// SIGHUP changes them for every logger at once; a logger's label is its subsystem.
struct DaemonLogHandler: LogHandler {
    struct Settings: Sendable {
        var level = Logger.Level.info
        var subsystemLevels: [String: Logger.Level] = [:]
        var journal = false
    }

    static let settings = Mutex(Settings())
    static let underSystemd = Environment.value("JOURNAL_STREAM") != nil
    private static let output = Mutex(FileDescriptor(rawValue: 2))
    /// What the daemon's metadata keys are called in the journal.
    static let journalFields = ["pod": "POD_ID", "container": "CONTAINER_ID", "rpc": "METHOD", "request": "REQUEST_ID",
                                "image": "IMAGE_REF"]

    let label: String
    var metadata: Logger.Metadata = [:]

    var logLevel: Logger.Level {
        get { Self.settings.withLock { $0.subsystemLevels[label] ?? $0.level } }
        set { Self.settings.withLock { $0.subsystemLevels[label] = newValue } }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Takes the levels and target of a configuration, for every logger at once.
    static func apply(_ config: DaemonConfig) {
        var fresh = Settings()
        fresh.level = Logger.Level(rawValue: config.logLevel) ?? .info
        fresh.subsystemLevels = config.logLevels.compactMapValues { Logger.Level(rawValue: $0) }
        fresh.journal = config.logTarget == .journal
        settings.withLock { $0 = fresh }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let sorted = fields.sorted { $0.key < $1.key }
        let rendered = sorted.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = "\(event.message)" + (rendered.isEmpty ? "" : " " + rendered)
        if Self.settings.withLock({ $0.journal }) {
            var entry: [(name: String, value: String)] = [
                ("MESSAGE", "\(label): \(text)"), ("PRIORITY", "\(Journal.priority(event.level.rawValue))"),
                ("SYSLOG_IDENTIFIER", "corrald"), ("CORRAL_SUBSYSTEM", label),
                ("CODE_FILE", event.file), ("CODE_LINE", "\(event.line)"), ("CODE_FUNC", event.function),
            ]
            for (key, value) in sorted {
                entry.append((Self.journalFields[key] ?? Journal.fieldName(key), "\(value)"))
            }
            // Without a journald to take it, the entry still reaches stderr.
            if Journal.send(entry) { return }
        }
        let prefix = Self.underSystemd ? "<\(Journal.priority(event.level.rawValue))>" : RFC3339.now + " "
        let line = "\(prefix)\(event.level) \(label): \(text)\n"
        // Nowhere left to report a failure to write the log itself.
        Self.output.withLock { try? $0.writeAll(line) }
    }
}
