/// Whether corrald is up on its socket and its config reads.
enum DaemonChecks {
    /// What the CRI socket looked like, and what answered on it.
    struct Socket: Equatable, Sendable {
        var path: String
        var exists: Bool
        var isSocket: Bool
        /// Permission bits.
        var mode: UInt32
        /// "corral 0.1.0" when Version answered.
        var answer: String?
        /// Why Version did not answer.
        var error: String?
    }

    static let startFix = "start it with scripts/run.sh or systemctl start corrald"

    static func socket(_ socket: Socket) -> DoctorCheck {
        guard socket.exists else {
            return .fail("corrald", "corrald is not running: no socket at \(socket.path)", fix: startFix)
        }
        guard socket.isSocket else {
            return .fail("corrald", "\(socket.path) is not a socket: corrald cannot listen there",
                         fix: "remove \(socket.path), then \(startFix)")
        }
        guard let answer = socket.answer else {
            return .fail("corrald", "corrald is not running: nothing answers Version on \(socket.path) (\(socket.error ?? "no answer"))",
                         fix: startFix)
        }
        let mode = "0" + String(socket.mode & 0o7777, radix: 8)
        if socket.mode & 0o7777 != 0o660 {
            return .warn("corrald", "\(answer) answers on \(socket.path), but its mode is \(mode), not 0660: who may drive the runtime is not root's group alone",
                         fix: "chmod 0660 \(socket.path) (corrald creates it so)")
        }
        return .ok("corrald", "\(answer) answers Version on \(socket.path) (mode 0660)")
    }

    /// `error`: why the config did not load, nil when it did.
    static func config(path: String?, exists: Bool, error: String?) -> DoctorCheck {
        if let error {
            return .fail("config", error, fix: "corrald config check --config \(path ?? "/etc/corral/config.toml") names the bad key")
        }
        let file = path ?? "/etc/corral/config.toml"
        return .ok("config", exists ? "\(file) loads" : "no \(file): DESIGN's defaults")
    }
}
