#if canImport(Glibc)
import Glibc
#endif
import CSystemd

/// Entries sent to journald directly (sd_journal_sendv), each field its own `NAME=value`, so
/// `journalctl POD_ID=…` finds a pod's lines without parsing text.
public enum Journal {
    /// Sends one entry; false when journald could not take it (no journald, socket full).
    /// Field names must be journald's: uppercase letters, digits and `_`, not starting with `_`;
    /// use `fieldName(_:)` for names that come from elsewhere.
    @discardableResult
    public static func send(_ fields: [(name: String, value: String)]) -> Bool {
        // Each field becomes one iovec over its own "NAME=value" bytes; values may hold newlines,
        // which sd_journal_sendv encodes itself.
        let entries = fields.map { Array("\($0.name)=\($0.value)".utf8) }
        let buffers = entries.map { bytes -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            buffer.copyBytes(from: bytes)
            return buffer
        }
        defer { for buffer in buffers { buffer.deallocate() } }
        var vectors = zip(buffers, entries).map { iovec(iov_base: $0.0.baseAddress, iov_len: $0.1.count) }
        return vectors.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) } >= 0
    }

    /// `pod` → `POD`, `request-id` → `REQUEST_ID`: a name journald accepts.
    public static func fieldName(_ name: String) -> String {
        var result = String(name.uppercased().unicodeScalars.map { scalar -> Character in
            ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) ? Character(scalar) : "_"
        })
        while result.hasPrefix("_") { result.removeFirst() }
        return result.isEmpty ? "FIELD" : String(result.prefix(64))
    }

    /// A syslog priority (0 emergency … 7 debug), the journal's PRIORITY field.
    public static func priority(_ name: String) -> Int {
        switch name {
        case "trace", "debug": 7
        case "info": 6
        case "notice": 5
        case "warning": 4
        case "error": 3
        default: 2
        }
    }
}
