extension CgroupLayout {
    /// Parses /proc/PID/mountinfo text; the first mount of each hierarchy wins, as in runc.
    public init(mountInfo: String) {
        var legacy: [Hierarchy] = []
        var unified: Hierarchy?
        for line in mountInfo.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // Optional fields end at "-": fstype, source and super options follow it.
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count > dash + 3 else { continue }
            let root = unescape(fields[3])
            let mountPoint = unescape(fields[4])
            switch fields[dash + 1] {
            case "cgroup2":
                if unified == nil {
                    unified = Hierarchy(controllers: [], mountPoint: mountPoint, root: root)
                }
            case "cgroup":
                let controllers = fields[dash + 3].split(separator: ",").map(String.init).filter(isController)
                let known = legacy.contains { !Set($0.controllers).isDisjoint(with: controllers) }
                if !controllers.isEmpty && !known {
                    legacy.append(Hierarchy(controllers: controllers, mountPoint: mountPoint, root: root))
                }
            default:
                continue
            }
        }
        self.init(legacy: legacy, unified: unified)
    }
}

/// Super options of a v1 mount mix controller names with mount flags; these are the flags.
private let mountFlags: Set<String> = ["rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode",
                                       "favordynmods", "none", "nsdelegate", "memory_localevents",
                                       "memory_recursiveprot"]

private func isController(_ option: String) -> Bool {
    !mountFlags.contains(option) && !option.hasPrefix("release_agent=")
}

/// mountinfo writes space, tab, newline and backslash in paths as three-digit octal escapes.
private func unescape(_ field: Substring) -> String {
    guard field.contains("\\") else { return String(field) }
    var bytes: [UInt8] = []
    var utf8 = Array(field.utf8)[...]
    while let byte = utf8.popFirst() {
        if byte == UInt8(ascii: "\\"), utf8.count >= 3,
           let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
            bytes.append(value)
            utf8 = utf8.dropFirst(3)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
